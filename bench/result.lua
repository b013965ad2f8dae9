-- result.lua -- shared by the wrk scripts (read.lua, search.lua): number the wrk threads
-- (each thread's `tid`), count responses and non-200 answers per thread, and print one
-- RESULT line the bench scripts parse (lib.sh `field`). The including script sets the
-- per-thread globals `responses` and `non200` in init().
local fmt = string.format
threads, nthreads = {}, 0
-- yilian answers only logged-in callers: bench/lib.sh logs in and exports the token
local token = os.getenv("YL_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
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
