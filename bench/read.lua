-- read.lua -- wrk script for bench/read.sh: GET /fhir/Patient/pNNNNNNN with ids drawn
-- uniformly from [0, N) by a seeded PRNG (deterministic per seed and wrk thread), counting
-- responses whose status is not 200. The same script drives nginx and yilian, so both pay
-- the same client-side cost.
-- usage: wrk -t2 -c64 -d30s --latency -s bench/read.lua URL -- N SEED
local threads, nthreads = {}, 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	n = tonumber(args[1]) or 1000000
	math.randomseed((tonumber(args[2]) or 1) * 1000 + tid)
	responses, non200 = 0, 0
end

local fmt, random, format = string.format, math.random, wrk.format

function request()
	return format("GET", fmt("/fhir/Patient/p%07d", random(0, n - 1)))
end

function response(status, headers, body)
	responses = responses + 1
	if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
	local resp, bad = 0, 0
	for _, t in ipairs(threads) do
		resp = resp + t:get("responses")
		bad = bad + t:get("non200")
	end
	local e = summary.errors
	io.write(fmt("RESULT requests=%d responses=%d non200=%d rps=%.1f p50_us=%d p90_us=%d " ..
		"p99_us=%d max_us=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
		summary.requests, resp, bad, summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		e.connect, e.read, e.write, e.timeout))
end
