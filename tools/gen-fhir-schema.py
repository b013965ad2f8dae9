#!/usr/bin/env python3
"""gen-fhir-schema.py -- generate src/fhir/schema-gen.c from the official FHIR R4 definitions.

Usage: python3 tools/gen-fhir-schema.py ../shared/fhir-r4 src/fhir/schema-gen.c

Reads fhir.schema.json (types, elements, cardinality, required-binding enums, resource
list) and profiles-types.json (the 1..1 elements of the data types, which the JSON schema
leaves out because a primitive may be given only as its `_x` sibling). Writes compact
sorted tables plus a string pool; the output is deterministic (same input, same bytes).
Standard library only.
"""

import json
import os
import sys

REF = "#/definitions/"
ANY_RESOURCE = 0xFFFF

FLAG_ARRAY = 1
FLAG_REQUIRED = 2
FLAG_REFERENCE = 4
FLAG_NO_EXT = 8

KINDS = ["PRIMITIVE", "COMPLEX", "BACKBONE", "RESOURCE"]


def die(msg):
    sys.stderr.write("gen-fhir-schema: %s\n" % msg)
    sys.exit(1)


def ref_name(ref):
    if not ref.startswith(REF):
        die("unexpected $ref %r" % ref)
    return ref[len(REF):]


def cap(s):
    return s[0].upper() + s[1:]


def prim_enum_name(p):
    return "YL_FHIR_PRIM_" + p.upper()


class Pool:
    """Deduplicated, sorted NUL-terminated strings in one char array."""

    def __init__(self):
        self.strings = set()
        self.offsets = None

    def add(self, s):
        if self.offsets is not None:
            die("pool frozen")
        if "\0" in s or not s.isascii():
            die("unexpected string %r" % s)
        self.strings.add(s)

    def freeze(self):
        self.offsets = {}
        off = 0
        for s in sorted(self.strings):
            self.offsets[s] = off
            off += len(s) + 1
        self.size = off

    def off(self, s):
        return self.offsets[s]


def classify_inline(pname, prop, prims, defs):
    """A choice element the schema spells inline (pattern + type): find its primitive by suffix."""
    best = None
    for p in prims:
        if pname.endswith(cap(p)) and len(pname) > len(p):
            if best is None or len(p) > len(best):
                best = p
    if best is None:
        die("cannot tell the primitive type of %r" % pname)
    want = defs[best]
    if best != "base64Binary" and (want.get("pattern") != prop.get("pattern") or
                                   want.get("type") != prop.get("type")):
        die("inline %r does not match primitive %r" % (pname, best))
    return best


def element_of(pname, prop, prims, defs):
    """Return (type name or None for any resource, is_array, enum list or None)."""
    is_array = False
    if prop.get("type") == "array":
        is_array = True
        prop = prop["items"]
    if "$ref" in prop:
        t = ref_name(prop["$ref"])
        if t == "ResourceList":
            return None, is_array, None
        if t not in defs:
            die("unknown type %r" % t)
        return t, is_array, None
    if "enum" in prop:
        return "code", is_array, list(prop["enum"])
    if "pattern" in prop or prop.get("type") in ("string", "number", "boolean"):
        return classify_inline(pname, prop, prims, defs), is_array, None
    die("unexpected element shape for %r: %r" % (pname, sorted(prop)))
    return None


def required_from_profiles(path, defs):
    """1..1 non-choice elements of the data types, as {type name: set(element)}."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    for entry in bundle.get("entry", []):
        sd = entry.get("resource", {})
        if sd.get("resourceType") != "StructureDefinition":
            continue
        if sd.get("derivation") == "constraint" or sd.get("kind") != "complex-type":
            continue
        for el in sd.get("snapshot", {}).get("element", []):
            parts = el["path"].split(".")
            if len(parts) < 2 or el.get("min", 0) < 1 or parts[-1].endswith("[x]"):
                continue
            owner = parts[0]
            ok = owner in defs
            for step in parts[1:-1]:
                if not ok:
                    break
                prop = defs[owner].get("properties", {}).get(step)
                if prop is None:
                    ok = False
                    break
                prop = prop.get("items", prop)
                if "$ref" not in prop:
                    ok = False
                    break
                owner = ref_name(prop["$ref"])
                ok = owner in defs
            if ok and parts[-1] in defs[owner].get("properties", {}):
                out.setdefault(owner, set()).add(parts[-1])
    return out


def c_string_lines(data, width=88):
    """Split a string into C literal lines; NUL as a 3-digit octal escape (never misread)."""
    lines = []
    cur = ""
    for ch in data:
        if ch == "\0":
            e = "\\000"
        elif ch in '"\\?':
            e = "\\" + ch
        else:
            e = ch
        if len(cur) + len(e) > width:
            lines.append(cur)
            cur = ""
        cur += e
    if cur:
        lines.append(cur)
    return lines


def emit_pool(out, pool):
    blob = "".join(s + "\0" for s in sorted(pool.strings))
    out.append("const char yl_fhir_pool[%d] =" % (pool.size + 1))
    for ln in c_string_lines(blob):
        out.append('\t"%s"' % ln)
    out[-1] += ";"


def main():
    if len(sys.argv) != 3:
        die("usage: gen-fhir-schema.py <fhir-r4 dir> <output .c>")
    src, dst = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "fhir.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    defs = schema["definitions"]

    resources = sorted(ref_name(r["$ref"]) for r in defs["ResourceList"]["oneOf"])
    prims = sorted(n for n, t in defs.items() if "properties" not in t and n != "ResourceList")
    prof_req = required_from_profiles(os.path.join(src, "profiles-types.json"), defs)

    type_names = sorted(n for n in defs if n != "ResourceList")
    type_index = {n: i for i, n in enumerate(type_names)}
    pool = Pool()
    enums = []          # list of sorted value tuples
    enum_index = {}
    types = []          # (name, kind, prim, elems, reqs)

    for n in type_names:
        t = defs[n]
        pool.add(n)
        if n in prims:
            types.append((n, "PRIMITIVE", n, [], []))
            continue
        kind = "RESOURCE" if n in resources else ("BACKBONE" if "_" in n else "COMPLEX")
        props = t["properties"]
        required = set(t.get("required", [])) | prof_req.get(n, set())
        elems = []
        for pname in sorted(props):
            prop = props[pname]
            if pname == "resourceType" and kind == "RESOURCE":
                if prop.get("const") != n:
                    die("unexpected resourceType in %s" % n)
                continue
            if pname.startswith("_"):
                base = pname[1:]
                if base not in props:
                    die("%s.%s has no primitive" % (n, pname))
                continue
            tname, is_array, enum = element_of(pname, prop, prims, defs)
            is_prim = tname in prims
            sib = props.get("_" + pname)
            flags = FLAG_ARRAY if is_array else 0
            if is_prim and sib is not None and (sib.get("type") == "array") != is_array:
                die("%s._%s does not match %s" % (n, pname, pname))
            if not is_prim and sib is not None:
                die("%s._%s on a non-primitive" % (n, pname))
            # The schema leaves out `_x` for canonical elements (an omission: canonical is a
            # primitive and may carry extensions). Element.id (a string attribute in XML)
            # and the xhtml div cannot carry extensions.
            if is_prim and (tname == "xhtml" or (pname == "id" and tname == "string")):
                if sib is not None:
                    die("%s._%s unexpected" % (n, pname))
                flags |= FLAG_NO_EXT
            elif is_prim and sib is None and tname not in ("canonical", "id"):
                die("%s.%s lacks _%s" % (n, pname, pname))
            if pname in required:
                flags |= FLAG_REQUIRED
            if n == "Reference" and pname == "reference":
                flags |= FLAG_REFERENCE
            eid = 0
            if enum:
                key = tuple(sorted(set(enum)))
                if key not in enum_index:
                    enums.append(key)
                    enum_index[key] = len(enums)
                    for v in key:
                        pool.add(v)
                eid = enum_index[key]
            pool.add(pname)
            elems.append((pname, tname, flags, eid))
        reqs = [i for i, e in enumerate(elems) if e[2] & FLAG_REQUIRED]
        for r in required:
            if r != "resourceType" and r not in [e[0] for e in elems]:
                die("%s requires unknown %s" % (n, r))
        types.append((n, kind, None, elems, reqs))

    pool.freeze()

    out = []
    out.append("/* schema-gen.c -- FHIR R4 (4.0.1) type tables.")
    out.append(" *")
    out.append(" * generated by tools/gen-fhir-schema.py from fhir.schema.json and")
    out.append(" * profiles-types.json, do not edit. See fhir/schema.h. */")
    out.append('#include "fhir/schema.h"')
    out.append("")
    out.append("#include <string.h>")
    out.append("")
    emit_pool(out, pool)
    out.append("")

    out.append("const struct yl_fhir_type yl_fhir_types[%d] = {" % len(types))
    flat = []
    req_flat = []
    for (n, kind, prim, elems, reqs) in types:
        first = len(flat)
        first_req = len(req_flat)
        for (pname, tname, flags, eid) in elems:
            tid = ANY_RESOURCE if tname is None else type_index[tname]
            flat.append((pname, tid, flags, eid, n))
        for r in reqs:
            req_flat.append(first + r)
        if len(elems) > 255 or len(reqs) > 255:
            die("too many elements in %s" % n)
        pe = prim_enum_name(prim) if prim else "YL_FHIR_PRIM_NONE"
        row = "\t{%d, %d, %d, %d, %d, YL_FHIR_KIND_%s, %s}," % (
            pool.off(n), first, first_req, len(elems), len(reqs), kind, pe)
        if len(row) + 7 + len(n) + 7 > 100:  # the tab counts 8 columns
            out.append("\t/* %s */" % n)
            out.append(row)
        else:
            out.append("%s /* %s */" % (row, n))
    out.append("};")
    out.append("const size_t yl_fhir_type_count = %d;" % len(types))
    out.append("")
    if len(flat) >= 0xFFFF or len(enums) >= 0xFFFF:
        die("tables too large for uint16_t indices")

    out.append("const struct yl_fhir_elem yl_fhir_elems[%d] = {" % len(flat))
    prev = None
    for (pname, tid, flags, eid, owner) in flat:
        if owner != prev:
            out.append("\t/* %s */" % owner)
            prev = owner
        out.append("\t{%d, %d, %d, %d}, /* %s */" % (pool.off(pname), tid, eid, flags, pname))
    out.append("};")
    out.append("const size_t yl_fhir_elem_count = %d;" % len(flat))
    out.append("")

    out.append("const uint16_t yl_fhir_required[%d] = {" % max(1, len(req_flat)))
    for i in range(0, len(req_flat), 12):
        out.append("\t" + " ".join("%d," % r for r in req_flat[i:i + 12]))
    out.append("};")
    out.append("")

    values = []
    out.append("const struct yl_fhir_enum yl_fhir_enums[%d] = {" % (len(enums) + 1))
    out.append("\t{0, 0}, /* no binding */")
    for key in enums:
        out.append("\t{%d, %d}," % (len(values), len(key)))
        values.extend(key)
    out.append("};")
    out.append("const uint32_t yl_fhir_enum_values[%d] = {" % len(values))
    for i in range(0, len(values), 10):
        out.append("\t" + " ".join("%d," % pool.off(v) for v in values[i:i + 10]))
    out.append("};")
    out.append("")

    out.append("const char *const yl_fhir_resource_types[%d] = {" % len(resources))
    for r in resources:
        out.append('\t"%s",' % r)
    out.append("};")
    out.append("const size_t yl_fhir_resource_type_count = %d;" % len(resources))
    out.append("const uint16_t yl_fhir_resource_type_def[%d] = {" % len(resources))
    for i in range(0, len(resources), 12):
        out.append("\t" + " ".join("%d," % type_index[r] for r in resources[i:i + 12]))
    out.append("};")
    out.append("")
    for special in ("Element", "Extension", "Reference"):
        out.append("const uint16_t yl_fhir_type_%s = %d;" % (special.lower(), type_index[special]))
    out.append("")
    out.append(FUNCTIONS)

    text = "\n".join(out)
    tmp = dst + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    os.replace(tmp, dst)


FUNCTIONS = r"""/* Compare a pointer+length name with a NUL-terminated pool string, strcmp order. */
static int cmp_name(const char *s, size_t len, const char *p)
{
	int c = strncmp(s, p, len);
	if (c)
		return c;
	return p[len] ? -1 : 0;
}

int yl_fhir_resource_type_index(const char *name, size_t len)
{
	if (!name || !len || memchr(name, '\0', len))
		return -1;
	size_t lo = 0, hi = yl_fhir_resource_type_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(name, len, yl_fhir_resource_types[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int yl_fhir_type_index(const char *name, size_t len)
{
	if (!name || !len || memchr(name, '\0', len))
		return -1;
	size_t lo = 0, hi = yl_fhir_type_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(name, len, yl_fhir_pool + yl_fhir_types[mid].name);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const struct yl_fhir_elem *yl_fhir_elem_find(const struct yl_fhir_type *t, const char *name,
                                             size_t len)
{
	if (!len || memchr(name, '\0', len))
		return NULL;
	const struct yl_fhir_elem *e = yl_fhir_elems + t->first_elem;
	size_t lo = 0, hi = t->elem_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(name, len, yl_fhir_pool + e[mid].name);
		if (c == 0)
			return e + mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int yl_fhir_enum_has(unsigned enum_id, const char *s, size_t len)
{
	if (!enum_id || memchr(s, '\0', len))
		return 0;
	const struct yl_fhir_enum *en = &yl_fhir_enums[enum_id];
	const uint32_t *v = yl_fhir_enum_values + en->first;
	size_t lo = 0, hi = en->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(s, len, yl_fhir_pool + v[mid]);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
"""

if __name__ == "__main__":
    main()
