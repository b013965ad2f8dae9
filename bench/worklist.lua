-- worklist.lua -- wrk script for bench/worklist.sh: a team's worklist, the team and the list
-- drawn by a seeded PRNG (deterministic per seed and wrk thread) from the teams given and the
-- six lists, first page of 20, counting responses whose status is not 200.
-- usage: wrk -t2 -c8 -d30s --latency -s bench/worklist.lua URL -- SEED TEAM[,TEAM...]
dofile("bench/result.lua") -- setup(), response() and done()

local lists = {"due", "overdue", "two-week", "urgent-referral", "lost-to-follow-up", "not-enrolled"}
local teams, nteams

function init(args)
	math.randomseed((tonumber(args[1]) or 1) * 1000 + tid)
	teams = {}
	for t in string.gmatch(args[2] or "team-00001", "[^,]+") do table.insert(teams, t) end
	nteams = #teams
	responses, non200 = 0, 0
end

function request()
	local t = teams[math.random(nteams)]
	local l = lists[math.random(#lists)]
	return wrk.format("GET", "/fhir/CareTeam/" .. t .. "/$worklist?list=" .. l .. "&_count=20")
end
