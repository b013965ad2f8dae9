-- search.lua -- wrk script for bench/search.sh: one of the four searches of the search
-- benchmark, with its variable part drawn by a seeded PRNG (deterministic per seed and wrk
-- thread), counting responses whose status is not 200.
--   a  Observation?subject=Patient/X&code=http://loinc.org|4548-4&_sort=-date&_count=1
--   b  Observation?subject=Patient/X&code=http://loinc.org|85354-9&date=geDATE
--   c  Patient?name=PREFIX&_count=20
--   d  Patient?birthdate=le1961-01-01&_summary=count
-- X is uniform over the generated Patients p0000000..p(N-1); PREFIX uniform over the
-- 3-letter prefixes of the generator's surnames (yl_bench_gen --prefixes).
-- usage: wrk -t2 -c16 -d30s --latency -s bench/search.lua URL -- KIND N SEED DATE PREFIXES
--        (PREFIXES comma-separated)
dofile("bench/result.lua") -- setup(), response() and done()

local fmt, random, format = string.format, math.random, wrk.format
local kind, n, since, prefixes, nprefixes

function init(args)
	kind = args[1] or "a"
	n = tonumber(args[2]) or 1000000
	math.randomseed((tonumber(args[3]) or 1) * 1000 + tid)
	since = args[4] or "2025-11-01"
	prefixes = {}
	for p in string.gmatch(args[5] or "zha", "[^,]+") do table.insert(prefixes, p) end
	nprefixes = #prefixes
	responses, non200 = 0, 0
end

-- the path of one request: the same function gives bench/search.sh its sample requests
function path_of(k, i, prefix, date)
	if k == "a" then
		return fmt("/fhir/Observation?subject=Patient/p%07d&code=http://loinc.org%%7C4548-4" ..
			"&_sort=-date&_count=1", i)
	elseif k == "b" then
		return fmt("/fhir/Observation?subject=Patient/p%07d&code=http://loinc.org%%7C85354-9" ..
			"&date=ge%s", i, date)
	elseif k == "c" then
		return fmt("/fhir/Patient?name=%s&_count=20", prefix)
	else
		return "/fhir/Patient?birthdate=le1961-01-01&_summary=count"
	end
end

function request()
	return format("GET", path_of(kind, random(0, n - 1), prefixes[random(1, nprefixes)], since))
end

