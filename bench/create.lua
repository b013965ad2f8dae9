-- create.lua -- wrk script for bench/create.sh: POST /fhir/Patient with a fixed, realistic
-- ~1 KB Patient (Content-Type: application/fhir+json), counting 201 responses and the
-- requests still in flight when wrk stopped (sent - answered), which the server may or may
-- not have committed.
-- usage: wrk -t2 -c16 -d30s --latency -s bench/create.lua URL
local threads = {}

local body = [[{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Zhang Xiaoming, male, born 1968-04-12</div>"},"identifier":[{"use":"official","system":"urn:oid:1.2.156.112604.1.1","value":"330106196804120000"},{"system":"https://yilian.example/health-record","value":"HR-33010600042"}],"active":true,"name":[{"use":"official","family":"Zhang","given":["Xiaoming"]}],"telecom":[{"system":"phone","value":"13800138000","use":"mobile"}],"gender":"male","birthDate":"1968-04-12","address":[{"use":"home","line":["Building 12, Unit 3, Room 502","Wenyi West Road 88"],"city":"Hangzhou","district":"Xihu","state":"Zhejiang","postalCode":"310012","country":"CN"}],"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]},"contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"N"}]}],"name":{"family":"Li","given":["Hua"]}}],"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"zh-CN"}]},"preferred":true}],"managingOrganization":{"reference":"Organization/org-7"}}]]

function setup(thread)
	table.insert(threads, thread)
end

local req

function init(args)
	sent, responses, created = 0, 0, 0
	req = wrk.format("POST", "/fhir/Patient",
		{["Content-Type"] = "application/fhir+json", ["Accept"] = "application/fhir+json"}, body)
end

function request()
	sent = sent + 1
	return req
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
