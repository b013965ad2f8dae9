-- create.lua -- wrk script for bench/create.sh: POST /fhir/Patient with a realistic ~1 KB
-- Patient (Content-Type: application/fhir+json) whose resident identity number is new and
-- valid on every request (the server checks its check character and that no other
-- resident holds it: a duplicate would be 409), counting 201 responses and the requests
-- still in flight when wrk stopped (sent - answered), which the server may or may not have
-- committed.
-- usage: wrk -t2 -c16 -d30s --latency -s bench/create.lua URL
local threads = {}

local body = [[{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Zhang Xiaoming, male, born 1968-04-12</div>"},"identifier":[{"use":"official","system":"https://yilian.health/fhir/sid/cn-resident-id","value":"@ID@"},{"system":"https://yilian.example/health-record","value":"HR-33010600042"}],"active":true,"name":[{"use":"official","family":"Zhang","given":["Xiaoming"]}],"telecom":[{"system":"phone","value":"13800138000","use":"mobile"}],"gender":"male","birthDate":"@BIRTH@","address":[{"use":"home","line":["Building 12, Unit 3, Room 502","Wenyi West Road 88"],"city":"Hangzhou","district":"Xihu","state":"Zhejiang","postalCode":"310012","country":"CN"}],"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]},"contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"N"}]}],"name":{"family":"Li","given":["Hua"]}}],"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"zh-CN"}]},"preferred":true}],"managingOrganization":{"reference":"Organization/org-7"}}]]

function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end

local headers = {["Content-Type"] = "application/fhir+json", ["Accept"] = "application/fhir+json",
	["Authorization"] = "Bearer " .. (os.getenv("YL_TOKEN") or "")} -- bench/lib.sh logs in
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"
local base = -1420070400 -- 1925-01-01T00:00:00Z
local n

-- the n-th man's number: born base + n/500 days, sequence 2*(n%500)+1, and its check
-- character (GB 11643-1999)
local function resident(k)
	local day = math.floor(k / 500)
	local birth = os.date("!%Y%m%d", base + day * 86400)
	local d17 = "330106" .. birth .. string.format("%03d", (k % 500) * 2 + 1)
	local sum = 0
	for i = 1, 17 do sum = sum + (d17:byte(i) - 48) * weights[i] end
	local idx = sum % 11 + 1
	return d17 .. checks:sub(idx, idx),
		birth:sub(1, 4) .. "-" .. birth:sub(5, 6) .. "-" .. birth:sub(7, 8)
end

function init(args)
	sent, responses, created = 0, 0, 0
	n = tid * 4000000 -- each thread its own run of numbers (4M each: 8,000 days of births)
end

function request()
	sent = sent + 1
	n = n + 1
	local id, birth = resident(n)
	local b = body:gsub("@ID@", id):gsub("@BIRTH@", birth)
	return wrk.format("POST", "/fhir/Patient", headers, b)
end

function response(status, headers, b)
	responses = responses + 1
	if status == 201 then created = created + 1 end
end

function done(summary, latency, requests)
	local s, r, c = 0, 0, 0
	for _, t in ipairs(threads) do
		s = s + t:get("sent")
		r = r + t:get("responses")
		c = c + t:get("created")
	end
	local e = summary.errors
	io.write(string.format("RESULT requests=%d responses=%d created=%d non201=%d inflight=%d " ..
		"body_bytes=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d err_connect=%d " ..
		"err_read=%d err_write=%d err_timeout=%d\n",
		summary.requests, r, c, r - c, s - r, #body, c / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		e.connect, e.read, e.write, e.timeout))
end
