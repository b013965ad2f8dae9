#!/usr/bin/env python3
"""gen-search-params.py -- generate the FHIR R4 search-parameter table and its documentation.

Usage: python3 tools/gen-search-params.py ../shared/fhir-r4 src/fhir/searchparam-gen.c \
           docs/search-parameters.md terminology/search-parameters.json

The optional fourth file adds yilian's own SearchParameters (a Bundle, same form).

Reads search-parameters.json (the official R4 SearchParameter bundle) and fhir.schema.json
(element types, choice elements). Each parameter's FHIRPath expression is parsed with a
small FHIRPath subset: plain paths, unions `|`, `(X as T)`, `.as(T)`, `.ofType(T)`, choice
elements (every concrete variant), `.where(resolve() is T)` and `.where(member='value')`.
Choice elements are resolved to their concrete JSON names (`valueQuantity`); parameters
whose base lists several resource types are expanded per type with that type's branches.
A path whose leaf type cannot be indexed by the parameter's type is dropped; a parameter
with no path left, or an expression outside the subset, is left out, with the reason, in
the documentation. The Unicode folding table used by string parameters (Latin-1 and Latin
Extended-A, from Python's unicodedata) is generated here too. Output is deterministic.
Standard library only.
"""

import json
import os
import sys
import unicodedata

REF = "#/definitions/"
RESOURCE_PSEUDO = "Resource"  # table entries of the Resource-level parameters

# Leaf data types the extractor handles (enum yl_dt), in enum order.
DTS = ["boolean", "code", "string", "markdown", "id", "uri", "url", "canonical", "oid", "uuid",
       "date", "dateTime", "instant", "Period", "Timing", "decimal", "integer", "positiveInt",
       "unsignedInt", "Coding", "CodeableConcept", "Identifier", "ContactPoint", "HumanName",
       "Address", "Quantity", "Age", "Duration", "Count", "Distance", "Money", "Range",
       "Reference", "Element"]

SP_TYPES = ["number", "date", "string", "token", "reference", "composite", "quantity", "uri",
            "special"]

# Which leaf types each parameter type indexes (FHIR R4 search page, "search parameter
# types" tables). Element = a backbone element: the base of a composite.
ACCEPT = {
    "number": {"decimal", "integer", "positiveInt", "unsignedInt"},
    "date": {"date", "dateTime", "instant", "Period", "Timing"},
    "string": {"string", "markdown", "HumanName", "Address"},
    "token": {"boolean", "code", "string", "id", "uri", "url", "canonical", "oid", "uuid",
              "Coding", "CodeableConcept", "Identifier", "ContactPoint",
              "dateTime"},  # presence as "true" (Patient.deceased, see REWRITES)
    "reference": {"Reference", "canonical", "uri", "url"},
    "quantity": {"Quantity", "Age", "Duration", "Count", "Distance", "Money", "Range"},
    "uri": {"uri", "url", "canonical", "oid", "uuid"},
}

# Index rows that the resource row answers better than an index: no rows are extracted.
NO_INDEX = {"_id": "answered from the resource row (the id may be assigned after extraction)",
            "_lastUpdated": "answered from the resource row (meta.lastUpdated is set by the "
                            "store when the version is written)"}

COMPOSITE_COMP2 = {"token", "quantity", "number", "date", "string"}
FLAG_NO_INDEX = 1
FLAG_UNION = 2  # no index rows of its own: the union of other parameters' rows


class Unsupported(Exception):
    pass


def die(msg):
    sys.stderr.write("gen-search-params: %s\n" % msg)
    sys.exit(1)


# ---- schema ----

class Schema:
    def __init__(self, defs):
        self.defs = defs
        self.resources = sorted(r["$ref"][len(REF):] for r in defs["ResourceList"]["oneOf"])
        self.prims = sorted(n for n, t in defs.items()
                            if "properties" not in t and n != "ResourceList")
        common = None
        for r in self.resources:
            keys = set(defs[r].get("properties", {}))
            common = keys if common is None else common & keys
        self.defs[RESOURCE_PSEUDO] = {"properties": {k: defs["Basic"]["properties"][k]
                                                     for k in sorted(common)}}

    def props(self, t):
        return self.defs.get(t, {}).get("properties", {})

    def prop_type(self, pname, prop):
        if prop.get("type") == "array":
            prop = prop["items"]
        if "$ref" in prop:
            return prop["$ref"][len(REF):]
        if "enum" in prop:
            return "code"
        best = None
        for p in self.prims:
            if pname.endswith(p[0].upper() + p[1:]) and len(pname) > len(p):
                if best is None or len(p) > len(best):
                    best = p
        if best is None:
            die("cannot tell the type of %r" % pname)
        return best

    def is_resource(self, t):
        return t in self.resources or t == RESOURCE_PSEUDO

    def children(self, t, name):
        """[(json name, type, is_choice)] for element `name` of type t."""
        props = self.props(t)
        if name in props:
            return [(name, self.prop_type(name, props[name]), False)]
        out = []
        for p in sorted(props):
            if p.startswith(name) and len(p) > len(name) and p[len(name)].isupper():
                out.append((p, self.prop_type(p, props[p]), True))
        return out


# ---- FHIRPath subset ----

def tokenize(s):
    toks = []
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c.isalpha() or c == "_" or c == "%":
            j = i + 1
            while j < len(s) and (s[j].isalnum() or s[j] in "_-"):
                j += 1
            toks.append(("id", s[i:j]))
            i = j
        elif c == "'":
            j = s.index("'", i + 1)
            toks.append(("str", s[i + 1:j]))
            i = j + 1
        elif c.isdigit():
            j = i
            while j < len(s) and s[j].isdigit():
                j += 1
            toks.append(("num", s[i:j]))
            i = j
        elif s.startswith("!=", i):
            toks.append(("op", "!="))
            i += 2
        elif c in ".()[]=|":
            toks.append(("op", c))
            i += 1
        else:
            raise Unsupported("unexpected character %r" % c)
    return toks


def split_union(expr):
    parts, depth, cur, quote = [], 0, "", False
    for c in expr:
        if c == "'":
            quote = not quote
        elif not quote and c == "(":
            depth += 1
        elif not quote and c == ")":
            depth -= 1
        if c == "|" and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += c
    parts.append(cur.strip())
    return parts


class Parser:
    """Parses one union branch into ops: ("name", n), ("as", T), ("where", m, v), ("is", T)."""

    def __init__(self, text):
        self.t = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def take(self, kind=None, val=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (val and tok[1] != val):
            raise Unsupported("unexpected %r" % (tok[1],))
        self.i += 1
        return tok[1]

    def parse(self):
        ops = self.chain()
        if self.i != len(self.t):
            rest = [v for _, v in self.t[self.i:]]
            if "and" in rest or "!=" in rest:
                raise Unsupported("boolean logic (and, !=)")
            raise Unsupported("unexpected %r" % rest[0])
        return ops

    def chain(self):
        ops = self.term()
        while self.peek() == ("op", "."):
            self.take()
            ops += self.call()
        if self.peek() == ("op", "["):
            raise Unsupported("indexing [n]")
        return ops

    def term(self):
        if self.peek() == ("op", "("):
            self.take()
            ops = self.chain()
            if self.peek() == ("id", "as"):
                self.take()
                ops.append(("as", self.take("id")))
            self.take("op", ")")
            return ops
        name = self.take("id")
        if name.startswith("%"):
            raise Unsupported("uses %s" % name)
        return [("name", name)]

    def call(self):
        name = self.take("id")
        if self.peek() == ("op", "["):
            raise Unsupported("indexing [n]")
        if self.peek() != ("op", "("):
            return [("name", name)]
        self.take()
        if name in ("as", "ofType"):
            t = self.take("id")
            self.take("op", ")")
            return [("as", t)]
        if name == "where":
            if self.peek() == ("id", "resolve"):
                self.take()
                self.take("op", "(")
                self.take("op", ")")
                self.take("id", "is")
                t = self.take("id")
                self.take("op", ")")
                return [("is", t)]
            m = self.take("id")
            self.take("op", "=")
            v = self.take("str")
            self.take("op", ")")
            return [("where", m, v)]
        raise Unsupported("uses %s()" % name)


def same_type(a, b):
    return a[0].lower() + a[1:] == b[0].lower() + b[1:]


def resolve(schema, ops, start):
    """Walk ops from type `start`; returns [(steps, type, where, target)]."""
    cands = [([], start, None, None, False)]
    for op in ops:
        nxt = []
        if op[0] == "name":
            for steps, t, where, target, _ in cands:
                kids = schema.children(t, op[1])
                if not kids:
                    raise Unsupported("no element %s.%s" % (t, op[1]))
                for jname, jt, choice in kids:
                    nxt.append((steps + [jname], jt, where, target, choice))
        elif op[0] == "as":
            for c in cands:
                if same_type(c[1], op[1]) or (op[1] == "Quantity" and c[1] in ACCEPT["quantity"]
                                              and c[1] not in ("Range", "Money")):
                    nxt.append(c)
        elif op[0] == "where":
            for steps, t, where, target, choice in cands:
                if where is not None:
                    raise Unsupported("two where() filters")
                if op[1] not in schema.props(t):
                    raise Unsupported("where() on unknown element %s" % op[1])
                nxt.append((steps, t, (len(steps), op[1], op[2]), target, choice))
        elif op[0] == "is":
            for steps, t, where, target, choice in cands:
                nxt.append((steps, t, where, op[1], choice))
        cands = nxt
    return [(c[0], c[1], c[2], c[3]) for c in cands]


def branch_for(schema, branch, rtype):
    """Ops of a union branch if it applies to rtype (root name rtype, Resource or
    DomainResource), else None."""
    ops = Parser(branch).parse()
    if not ops or ops[0][0] != "name":
        raise Unsupported("expression does not start with a type")
    root = ops[0][1]
    if root in (rtype, "Resource", "DomainResource"):
        return ops[1:]
    if root[0].islower():
        return ops  # a path from the context (the resource), e.g. InsurancePlan's `name`
    return None


# ---- one parameter for one resource type ----

def leaf_name(t, schema):
    if t in DTS:
        return t
    if schema.is_resource(t) or "_" in t:
        return "Element"  # a backbone element or the resource itself
    return t


def paths_for(schema, sp, rtype, start, exprs, ptype, dropped):
    """Resolve union branches; keep paths whose leaf fits ptype."""
    out = []
    for branch in exprs:
        ops = branch if isinstance(branch, list) else branch_for(schema, branch, rtype)
        if ops is None:
            continue
        for steps, t, where, target in resolve(schema, ops, start):
            leaf = leaf_name(t, schema)
            if ptype == "composite":
                ok = leaf == "Element" or (t not in DTS and bool(schema.props(t)))
                leaf = "Element"
            else:
                ok = leaf in ACCEPT[ptype]
            if not ok:
                dropped.append("%s (%s)" % (".".join(steps) or rtype, t))
                continue
            p = (".".join(steps), leaf, where, target)
            if p not in out:
                out.append(p)
    return out


# Expressions outside the FHIRPath subset, indexed through an equivalent element: a
# presence test becomes the element itself, whose values the extractor turns into tokens
# (deceasedBoolean as true/false, a deceasedDateTime as "true").
REWRITES = {
    "Patient.deceased.exists() and Patient.deceased != false": "Patient.deceased",
}


def build(schema, sps_by_url, sp, rtype):
    """Returns (entry dict) or raises Unsupported(reason)."""
    code, ptype = sp["code"], sp["type"]
    expr = sp.get("expression")
    expr = REWRITES.get(expr, expr)
    if ptype == "special":
        raise Unsupported("special type")
    if not expr:
        raise Unsupported("no FHIRPath expression")
    if "extension(" in expr:
        raise Unsupported("expression uses extension()")
    start = RESOURCE_PSEUDO if rtype == RESOURCE_PSEUDO else rtype
    dropped = []
    paths = paths_for(schema, sp, rtype, start, split_union(expr), ptype, dropped)
    if not paths:
        if dropped:
            raise Unsupported("no indexable path: %s" % ", ".join(dropped))
        raise Unsupported("no expression branch for %s" % rtype)
    entry = {"resource": rtype, "code": code, "type": ptype, "paths": paths,
             "dropped": dropped, "targets": ",".join(sp.get("target", [])),
             "url": sp["url"], "expression": expr, "comps": [],
             "flags": FLAG_NO_INDEX if code in NO_INDEX else 0}
    if ptype == "composite":
        entry["comps"] = components(schema, sps_by_url, sp, rtype, paths)
    return entry


def components(schema, sps_by_url, sp, rtype, bases):
    comps = sp.get("component", [])
    if len(comps) != 2:
        raise Unsupported("composite of %d components (an index row holds two)" % len(comps))
    out = []
    for i, comp in enumerate(comps):
        csp = sps_by_url.get(comp["definition"])
        if csp is None:
            raise Unsupported("component %s is not defined" % comp["definition"])
        ctype = csp["type"]
        if i == 0 and ctype != "token":
            raise Unsupported("first component is %s, not token" % ctype)
        if i == 1 and ctype not in COMPOSITE_COMP2:
            raise Unsupported("second component of type %s" % ctype)
        paths, dropped = [], []
        for bpath, _, _, _ in bases:
            btype = base_type(schema, rtype, bpath)
            branches = [Parser(b).parse() for b in split_union(comp["expression"])]
            for p in paths_for(schema, csp, rtype, btype, branches, ctype, dropped):
                if p not in paths:
                    paths.append(p)
        if not paths:
            raise Unsupported("component %s has no indexable path" % csp["code"])
        out.append({"code": csp["code"], "type": ctype, "paths": paths})
    return out


def base_type(schema, rtype, dotted):
    t = rtype
    for step in dotted.split(".") if dotted else []:
        kids = schema.children(t, step)
        t = kids[0][1]
    return t


# ---- Unicode folding table ----

FOLD_SPECIAL = {"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
                "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ħ": "h", "Ħ": "h", "ı": "i",
                "ĸ": "k", "ŀ": "l", "Ŀ": "l", "ł": "l", "Ł": "l", "ŉ": "n", "ŋ": "n", "Ŋ": "n",
                "ŧ": "t", "Ŧ": "t", "þ": "th", "Þ": "th", "ĳ": "ij", "Ĳ": "ij", "ſ": "s"}


def fold_table():
    """For U+00C0..U+017F: the ASCII folding (lower case, marks removed), or "" to keep."""
    out = []
    for cp in range(0xC0, 0x180):
        ch = chr(cp)
        if ch in FOLD_SPECIAL:
            out.append(FOLD_SPECIAL[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch)
                       if not unicodedata.combining(c)).lower()
        out.append(base if base.isascii() and base.isalpha() else "")
    return out


# ---- output ----

def cstr(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dt_enum(d):
    return "YL_DT_" + d.upper()


def comp_shape(e):
    return tuple((c["type"], tuple(c["paths"])) for c in e["comps"])


def find_unions(entries):
    """Marks a parameter whose paths are exactly the disjoint union of two or more other
    parameters' paths (same resource, type and components), as Observation combo-code =
    code | component-code: it gets no index rows of its own, and a search on it reads its
    members' rows (e["union"], the member codes). A third of an Observation's index rows
    were such copies."""
    by_res = {}
    for e in entries:
        e["union"] = []
        by_res.setdefault(e["resource"], []).append(e)
    for group in by_res.values():
        for e in group:
            if e["flags"] or len(e["paths"]) < 2:
                continue
            want = set(e["paths"])
            members, covered = [], set()
            for f in sorted(group, key=lambda f: f["code"]):
                fp = set(f["paths"])
                if (f is e or f["flags"] or f["type"] != e["type"] or len(fp) >= len(want)
                        or not fp <= want or fp & covered or comp_shape(f) != comp_shape(e)):
                    continue
                members.append(f["code"])
                covered |= fp
            if len(members) >= 2 and covered == want:
                e["union"] = members
                e["flags"] |= FLAG_UNION  # at once: a union is never a member of another


def emit_c(entries, path_out):
    lines = []
    w = lines.append
    w("/* searchparam-gen.c -- FHIR R4 (4.0.1) search parameters, as tables.")
    w(" *")
    w(" * generated by tools/gen-search-params.py; do not edit. From search-parameters.json")
    w(" * and fhir.schema.json. See fhir/searchparam.h and docs/search-parameters.md. */")
    w('#include "fhir/searchparam.h"')
    w("")
    w("#include <stddef.h>")
    w("")
    paths, comps = [], []
    path_at, comp_at = {}, {}

    def add_paths(ps):
        key = tuple(ps)
        if key not in path_at:
            path_at[key] = len(paths)
            paths.extend(ps)
        return path_at[key]

    for e in entries:
        e["p0"] = add_paths(e["paths"])
        for c in e["comps"]:
            c["p0"] = add_paths(c["paths"])
        if e["comps"]:
            key = tuple((c["code"], c["type"], c["p0"], len(c["paths"])) for c in e["comps"])
            if key not in comp_at:
                comp_at[key] = len(comps)
                comps.extend(key)
            e["c0"] = comp_at[key]
    targets = sorted({e["targets"] for e in entries if e["targets"]})
    target_at = {t: i for i, t in enumerate(targets)}
    for i, t in enumerate(targets):
        w("static const char targets%d[] =" % i)
        chunks = [t[k:k + 88] for k in range(0, len(t), 88)]
        for k, c in enumerate(chunks):
            w("\t%s%s" % (cstr(c), ";" if k == len(chunks) - 1 else ""))
    w("")
    w("static const struct yl_sp_path paths[%d] = {" % len(paths))
    for path, leaf, where, target in paths:
        wd, wm, wv = (where if where else (0, None, None))
        w("\t{%s, %s, %d, %s, %s, %s}," % (cstr(path), dt_enum(leaf), wd, cstr(wm), cstr(wv),
                                           cstr(target)))
    w("};")
    w("")
    w("static const struct yl_sp_component comps[%d] = {" % max(1, len(comps)))
    for code, ctype, p0, n in comps:
        w("\t{%s, YL_SP_%s, &paths[%d], %d}," % (cstr(code), ctype.upper(), p0, n))
    w("};")
    w("")
    w("const struct yl_searchparam yl_searchparams[] = {")
    for e in entries:
        comp = "&comps[%d], %d" % (e["c0"], len(e["comps"])) if e["comps"] else "NULL, 0"
        w("\t{%s, %s, YL_SP_%s, %d," % (
            cstr(e["resource"]), cstr(e["code"]), e["type"].upper(), e["flags"]))
        tgt = "targets%d" % target_at[e["targets"]] if e["targets"] else "NULL"
        w("\t &paths[%d], %d, %s, %s," % (e["p0"], len(e["paths"]), tgt, comp))
        w("\t %s, %s}," % (cstr(e["url"]), cstr(",".join(e["union"])) if e["union"] else "NULL"))
    w("};")
    w("const size_t yl_searchparam_count = %d;" % len(entries))
    w("")
    res = []
    for i, e in enumerate(entries):
        if not res or res[-1][0] != e["resource"]:
            res.append([e["resource"], i, 0])
        res[-1][2] += 1
    w("const struct yl_sp_resource yl_sp_resources[] = {")
    for name, first, n in res:
        w("\t{%s, %d, %d}," % (cstr(name), first, n))
    w("};")
    w("const size_t yl_sp_resource_count = %d;" % len(res))
    w("")
    w("/* U+00C0..U+017F folded to lower-case ASCII without marks (NFD), \"\" = kept as is. */")
    w("const char yl_sp_fold_latin[192][3] = {")
    fold = fold_table()
    for i in range(0, len(fold), 8):
        w("\t" + " ".join("%s," % cstr(f) for f in fold[i:i + 8]))
    w("};")
    write(path_out, "\n".join(lines) + "\n")


def md_paths(e):
    out = []
    for path, leaf, where, target in e["paths"]:
        s = path or "(resource)"
        if where:
            steps = path.split(".")
            s = ".".join(steps[:where[0]]) + "[%s='%s']" % (where[1], where[2])
            if where[0] < len(steps):
                s += "." + ".".join(steps[where[0]:])
        s += " : " + leaf
        if target:
            s += " -> " + target
        out.append(s)
    return "<br>".join("`%s`" % p for p in out)


SEMANTICS = """## What the index rows hold

The query side must normalise search values the same way (`src/fhir/extract.h` exports
the helpers: `yl_fhir_fold`, `yl_fhir_date_range`, `yl_fhir_decimal_range`,
`yl_ucum_canonical`).

- **token**: `value_hash` = hash(system or "", code), `code_hash` = hash(code). Coding gives
  system/code with `text` = display; CodeableConcept gives one row per coding that has a
  code, plus one text-only row (system and code NULL, hashes 0) for `CodeableConcept.text`
  when no display equals it, so `:text` matches text and displays. Identifier: system/value,
  `text` = type.text, `type_hash` = hash(system, code) of the first type.coding (`:of-type`).
  ContactPoint: value only (its `system` is phone/email, used by `where()` filters, not a
  token system). code, string, id, uri, ... primitives: the value with system NULL (the
  implicit code-system of required bindings is not filled in); boolean: "true"/"false".
- **string**: `exact` as recorded, `norm` lower-cased with accents removed (ASCII
  lower-case; U+00C0..U+017F to ASCII from the Unicode decomposition, ß -> ss, æ -> ae,
  ø -> o, ł -> l, þ -> th; combining marks U+0300..U+036F dropped; other scripts kept as
  they are). HumanName: one row per family, given, prefix, suffix, text; Address: per line,
  city, district, state, postalCode, country, text.
- **date**: `[date_lo, date_hi]`, inclusive UTC microseconds covering the precision ("1956"
  is the whole year, "2026-11-23T13:31:19+08:00" one second, ".123" one millisecond).
  Dates and partial dates carry no zone and are taken as UTC days (a server-wide choice;
  search values must be read the same way). Period: start's low to end's high, a missing end
  is INT64_MAX, a missing start INT64_MIN. Timing: each event, and repeat.boundsPeriod.
- **number**: `[num_lo, num_hi]` = value -/+ half a unit of its last decimal. Stored
  integers get -/+0.5. A stored decimal is a double in jansson, so its precision comes from
  its shortest round-trip text ("1.50" is read as 1.5 -> [1.45, 1.55]; never coarser than
  units; 15-16 significant digits at most). Search values keep their text
  (`yl_fhir_decimal_range`: "100" -> [99.5, 100.5], "1.5e2" -> [145, 155]).
- **quantity**: value range as for numbers (a `<`/`<=` comparator opens the low end to
  -DBL_MAX, `>`/`>=` the high end to DBL_MAX), `unit_system` as recorded, `unit_code` =
  code, or unit when there is no code. `canon_*` when the system is UCUM and the code is in
  `terminology/ucum-units.json`: one canonical unit per dimension (g, m, L, s, Pa, mol/L,
  g/L, /L, /s, L/s, g/m2, g/g, U/L, 1), so mg/dL and g/L compare; affine units (Cel) and
  annotations ({score}) get none. Money: system `urn:iso:std:iso:4217`, code = currency.
  Range: [low's lo, high's hi], an absent end is -DBL_MAX / DBL_MAX, units from low (else
  high).
- **reference**: relative `Type/id` and `Type/id/_history/n` -> `ref_type`, `ref_id`
  (the version is dropped), `ref_url` as written. Absolute URLs -> `ref_url`, plus
  type/id when the last two segments (before `/_history/`) are a resource type and a valid
  id. `urn:uuid:` / `urn:oid:` and conditional references (`Patient?identifier=...`) ->
  `ref_url` only. `#contained` and `Reference.identifier` are not indexed. canonical (and
  uri) elements of reference parameters -> `ref_url` without the `|version`, type/id as for
  URLs. A `where(resolve() is T)` path keeps only references whose type is known to be T.
- **uri**: `uri` as recorded (canonical values keep their `|version`).
- **composite**: one row per pair (component 1 row, component 2 row) found under the SAME
  base element occurrence (the resource, or one `Observation.component[i]`), at most 64 per
  occurrence: component 1 (always a token) fills system/code/text/value_hash/code_hash;
  component 2 sets `comp_kind` and fills comp_value_hash/comp_code_hash (token),
  num_*/unit_*/canon_* (quantity, number), date_* (date) or norm/exact (string). Text-only
  token rows take no part.
- `_id` and `_lastUpdated` have no index rows: the id may be assigned and
  meta.lastUpdated is set by the store after extraction; search them on the resource row.
  `_tag`, `_security` (token), `_profile`, `_source` (uri) come from `meta`.
"""


def emit_md(entries, left_out, path_out, nsource):
    lines = []
    w = lines.append
    w("# Search parameters")
    w("")
    w("Generated by `tools/gen-search-params.py` from the official R4 SearchParameter bundle")
    w("(`../shared/fhir-r4/search-parameters.json`) with yilian's own parameters")
    w("(`terminology/search-parameters.json`: contracts, divisions; %d definitions in all)" %
      nsource)
    w("and `fhir.schema.json`;")
    w("do not edit. The table is `src/fhir/searchparam-gen.c`; the extractor that turns a")
    w("resource into index rows is `src/fhir/extract.c` (semantics in `src/fhir/extract.h`).")
    w("")
    w("Parameters whose base lists several resource types are expanded per type with that")
    w("type's branches of the expression. Paths are JSON member paths from the resource root")
    w("with choice elements resolved (`valueQuantity`); `[system='phone']` is a `where()`")
    w("filter on that element; `-> Patient` is `where(resolve() is Patient)`. The")
    w("`Resource` rows apply to every resource type.")
    w("")
    by_reason = {}
    for r in left_out:
        key = r[2].split(":")[0]
        by_reason[key] = by_reason.get(key, 0) + 1
    w("Supported: %d (resource type, parameter) pairs; left out: %d." % (len(entries),
                                                                         len(left_out)))
    w("")
    w("| left out because | count |")
    w("|---|---|")
    for k in sorted(by_reason, key=lambda k: (-by_reason[k], k)):
        w("| %s | %d |" % (k, by_reason[k]))
    w("")
    w(SEMANTICS)
    w("## Supported")
    w("")
    cur = None
    for e in entries:
        if e["resource"] != cur:
            cur = e["resource"]
            w("")
            w("### %s" % cur)
            w("")
            w("| code | type | paths | notes |")
            w("|---|---|---|---|")
        notes = []
        if e["flags"] & FLAG_NO_INDEX:
            notes.append(NO_INDEX[e["code"]])
        if e["union"]:
            notes.append("no rows of its own: searches the rows of " +
                         " and ".join(e["union"]))
        if e["comps"]:
            notes.append("components: " + "; ".join(
                "%s (%s) %s" % (c["code"], c["type"], md_paths({"paths": c["paths"]}))
                for c in e["comps"]))
        if e["dropped"]:
            notes.append("not indexed: " + ", ".join(e["dropped"]))
        w("| %s | %s | %s | %s |" % (e["code"], e["type"], md_paths(e),
                                     "<br>".join(notes).replace("|", "\\|")))
    w("")
    w("## Left out")
    w("")
    w("| resource | code | reason | expression |")
    w("|---|---|---|---|")
    for rtype, code, reason, expr in left_out:
        w("| %s | %s | %s | `%s` |" % (rtype, code, reason.replace("|", "\\|"),
                                       (expr or "").replace("|", "\\|")))
    write(path_out, "\n".join(lines) + "\n")


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    if len(sys.argv) not in (4, 5):
        die("usage: gen-search-params.py <fhir-r4 dir> <output .c> <output .md> "
            "[<more SearchParameters .json>]")
    src, out_c, out_md = sys.argv[1:4]
    with open(os.path.join(src, "search-parameters.json"), encoding="utf-8") as f:
        bundle = json.load(f)
    if len(sys.argv) == 5:  # yilian's own parameters (terminology/search-parameters.json)
        with open(sys.argv[4], encoding="utf-8") as f:
            bundle["entry"] = bundle["entry"] + json.load(f)["entry"]
    with open(os.path.join(src, "fhir.schema.json"), encoding="utf-8") as f:
        schema = Schema(json.load(f)["definitions"])
    sps = [e["resource"] for e in bundle["entry"]
           if e.get("resource", {}).get("resourceType") == "SearchParameter"]
    by_url = {sp["url"]: sp for sp in sps}
    entries, left_out = [], []
    for sp in sps:
        types = []
        for b in sp["base"]:
            if b in ("Resource", "DomainResource"):
                types.append(RESOURCE_PSEUDO)
            elif b in schema.resources:
                types.append(b)
            else:
                die("unknown base %r" % b)
        for rtype in types:
            try:
                entries.append(build(schema, by_url, sp, rtype))
            except Unsupported as ex:
                left_out.append((rtype, sp["code"], str(ex), sp.get("expression")))
    entries.sort(key=lambda e: (e["resource"], e["code"]))
    for a, b in zip(entries, entries[1:]):
        if (a["resource"], a["code"]) == (b["resource"], b["code"]):
            die("duplicate parameter %s.%s" % (a["resource"], a["code"]))
    left_out.sort()
    find_unions(entries)
    emit_c(entries, out_c)
    emit_md(entries, left_out, out_md, len(sps))


if __name__ == "__main__":
    main()
