-- read.lua -- wrk script for bench/read.sh: GET /fhir/Patient/pNNNNNNN with ids drawn
-- uniformly from [0, N) by a seeded PRNG (deterministic per seed and wrk thread), counting
-- responses whose status is not 200. The same script drives nginx and yilian, so both pay
-- the same client-side cost.
-- usage: wrk -t2 -c64 -d30s --latency -s bench/read.lua URL -- N SEED
dofile("bench/result.lua") -- setup(), response() and done()

function init(args)
	n = tonumber(args[1]) or 1000000
	math.randomseed((tonumber(args[2]) or 1) * 1000 + tid)
	responses, non200 = 0, 0
end

local fmt, random, format = string.format, math.random, wrk.format

function request()
	return format("GET", fmt("/fhir/Patient/p%07d", random(0, n - 1)))
end

