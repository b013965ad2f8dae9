// search-paging.test.js -- keyset paging on sort keys a cursor cannot carry whole: long
// strings sharing a long prefix, and ties. Its own server, so its data stays out of the
// conformance suite's fixtures.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req } = require('./lib');

const local = (url) => url.replace(/^https?:\/\/[^/]+/, '');

// the response of the last page, following next links from url
async function lastPage(srv, url) {
  for (;;) {
    const r = await req(srv, 'GET', url);
    const next = r.json.link.find((x) => x.relation === 'next');
    if (!next) return r;
    url = local(next.url);
  }
}

async function walk(srv, first, relation = 'next') {
  const pages = [];
  let url = first;
  for (let i = 0; i < 20 && url; i++) {
    const r = await req(srv, 'GET', url);
    assert.strictEqual(r.status, 200, r.text);
    pages.push(r.json.entry.filter((e) => e.search.mode === 'match').map((e) => e.resource.id));
    const l = r.json.link.find((x) => x.relation === relation);
    assert.ok(!l || l.url.length < 2048, 'links stay short');
    url = l ? l.url.replace(/^https?:\/\/[^/]+/, '') : null;
  }
  return pages;
}

test('_sort on long strings sharing a 1,200-character prefix pages through every resource once, both ways', async () => {
  const srv = await startServer();
  try {
    const stem = 'Ouyang'.repeat(200); // 1,200 characters in common: more than a link holds
    const ids = [];
    for (const tail of ['c', 'a', 'b', 'a', '']) {
      const r = await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: stem + tail }] } });
      assert.strictEqual(r.status, 201);
      ids.push(r.json.id);
    }
    const pages = await walk(srv, '/fhir/Patient?_sort=-family&_count=2');
    const seen = pages.flat();
    assert.deepStrictEqual([...seen].sort(), [...ids].sort(), 'every resource once');
    assert.deepStrictEqual(pages.map((p) => p.length), [2, 2, 1]);
    // back from the last page with the previous links: the same pages in reverse
    const last = await req(srv, 'GET', `/fhir/Patient?_sort=-family&_count=2&_cursor=${encodeURIComponent('a.' + 0)}`);
    assert.strictEqual(last.status, 400, 'a cursor without the sort keys is refused');
    const r = await lastPage(srv, '/fhir/Patient?_sort=-family&_count=2');
    const prev = r.json.link.find((x) => x.relation === 'previous');
    const back = await walk(srv, prev.url.replace(/^https?:\/\/[^/]+/, ''), 'previous');
    assert.deepStrictEqual(back, pages.slice(0, -1).reverse());
  } finally {
    await srv.stop();
  }
});

test('a name search without _sort lists matches alphabetically by the name that matched, each once, and pages both ways', async () => {
  const srv = await startServer();
  try {
    const stem = 'Wan' + 'x'.repeat(400); // two matched names longer than a cursor carries
    const people = [
      ['Wang', 'Li'], ['Wan', 'Qing'], ['Zhou', 'Wanting'], ['Wang', 'Wanfang'], ['Li', 'Wang'],
      ['Chen', 'Lei'], ['WANG', 'Xi'], [stem + 'b', 'Min'], [stem + 'a', 'Hua'], ['Wán', 'Yu'],
    ];
    const id = {};
    for (const [family, given] of people) {
      const r = await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family, given: [given] }] } });
      assert.strictEqual(r.status, 201);
      id[`${family} ${given}`] = r.json.id;
    }
    // Wán folds to wan; Wang Wanfang is listed at wanfang (before wang); ties first created first
    const want = ['Wan Qing', 'Wán Yu', 'Wang Wanfang', 'Wang Li', 'Li Wang', 'WANG Xi',
      'Zhou Wanting', `${stem}a Hua`, `${stem}b Min`].map((k) => id[k]);
    const pages = await walk(srv, '/fhir/Patient?name=wan&_count=2');
    assert.deepStrictEqual(pages.flat(), want);
    const first = await req(srv, 'GET', '/fhir/Patient?name=wan&_count=2');
    const firstNext = local(first.json.link.find((x) => x.relation === 'next').url);
    const r = await lastPage(srv, firstNext);
    const prev = r.json.link.find((x) => x.relation === 'previous');
    const back = await walk(srv, prev.url.replace(/^https?:\/\/[^/]+/, ''), 'previous');
    assert.deepStrictEqual(back, pages.slice(0, -1).reverse());
    // a match renamed between pages: paging goes on from where the cursor was
    await req(srv, 'PUT', `/fhir/Patient/${id['Wan Qing']}`, { body: { resourceType: 'Patient', id: id['Wan Qing'], name: [{ family: 'Zhao', given: ['Qing'] }] } });
    const rest = await walk(srv, firstNext);
    assert.deepStrictEqual(rest.flat(), want.slice(2));
    // an explicit _sort still wins
    const byId = await req(srv, 'GET', '/fhir/Patient?name=wan&_sort=-_id&_count=3');
    assert.deepStrictEqual(byId.json.entry.map((e) => e.resource.id), want.filter((x) => x !== id['Wan Qing']).sort().reverse().slice(0, 3));
  } finally {
    await srv.stop();
  }
});
