#!/usr/bin/env python3
"""scripts/demo's visit to a crossing's desk, through its JSON API (docs/api.md)
as any client would: sign in, record a truck, read the lane, sign out.

    desk_demo.py URL NAME PASSWORD ID_FILE

Writes the recorded movement's id to ID_FILE. The desk's certificate is the
node's own (its fingerprint is in `outpost status`), so it is not checked
against a CA here. Exit 1 on any refusal.
"""
import http.cookiejar
import json
import ssl
import sys
import urllib.error
import urllib.request

URL, NAME, PASSWORD, ID_FILE = sys.argv[1:5]
TRUCK = {"type": "movement", "direction": "in", "mode": "road", "route": "TR,RS,BA",
         "vehicle": {"plate": "BG4471TK", "plate_country": "RS", "kind": "truck"},
         "weighbridge_kg": 16900,
         "persons": [{"family_name": "Đurić", "given_names": "Stevan", "nationality": "RS",
                      "document_type": "passport", "document_number": "009876543",
                      "role": "driver"}],
         "equipment": [{"number": "CSQU3054383", "size_type": "42G1", "loaded": True,
                        "seals": [{"number": "S7781"}]}],
         "consignments": [{"transport_doc_type": "CMR", "transport_doc_number": "TR-55012",
                           "origin_country": "TR",
                           "shipper": {"name": "Anadolu Lojistik"},
                           "consignee": {"name": "Posavina Trade d.o.o."},
                           "goods": [{"hs_code": "240220", "description": "cigarettes",
                                      "gross_kg": 12000}]}]}

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                     urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def call(method, path, body=None, csrf=""):
    req = urllib.request.Request(URL + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with opener.open(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        sys.exit("desk refused %s %s: %s %s" % (method, path, e.code, e.read().decode()))


me = call("POST", "/api/login", {"name": NAME, "password": PASSWORD})
print("%s signed in as %s (%s)" % (URL, me["name"], me["role"]))
saved = call("POST", "/api/movements", TRUCK, me["csrf"])
risk = saved.get("risk") or {}
if risk.get("assessed"):
    print("truck %s recorded: lane %s, score %s" % (TRUCK["vehicle"]["plate"],
                                                   risk["lane"].upper(), risk["score"]))
    for h in risk.get("hits", []):
        print("  %s: %s" % (h["rule_id"], h.get("description", "")))
else:
    print("truck %s recorded: no lane (%s)" % (TRUCK["vehicle"]["plate"], risk.get("message")))
call("POST", "/api/logout", {}, me["csrf"])
print("signed out")
with open(ID_FILE, "w") as f:
    f.write(saved["id"])
