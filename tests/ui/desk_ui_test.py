#!/usr/bin/env python3
"""The officer's desk in a real browser (issue 19): a real node (`outpost init`,
`users add`, `outpost web`) over real HTTPS on a free port, driven by Debian's
headless chromium through chromedriver.

    desk_ui_test.py OUTPOST_BINARY OUTPUT_DIR

Scenarios: sign in; a wrong password, then rate-limited; the pages in
Bosnian and back; a request without
the CSRF token refused; an officer opening an admin page gets 403; a truck
with two goods items and a container recorded; an invalid container number
shown at its field with nothing stored; sign out; an expired session; HQ's
volumes of three crossings merged from bundles, read by an analyst.
Screenshots (1366x768) are written to OUTPUT_DIR. Exit 77 (CTest: skipped)
when selenium or chromium is missing.
"""
import json
import os
import shutil
import sys
import subprocess
import ssl
import tempfile
import time
import re
import urllib.request

import uitest
from uitest import (EC, OUTPOST, PASSWORD, By, Keys, Select, WebDriverWait, check, fetch_status,
                    new_driver, outpost, shot, sign_in, start_web)


def run_http_serves(tmp):
    """`outpost run --http 127.0.0.1:0` on an HQ node (a crossing's daemon needs
    an enrolment first): the pages beside sync answer /login."""
    data = os.path.join(tmp, "hq")
    outpost(data, "init", "--role", "hq", "--name", "HQ", "--hq-address", "127.0.0.1:7400")
    env = dict(os.environ, OUTPOST_PASSPHRASE=PASSWORD)
    p = subprocess.Popen([OUTPOST, "--data", data, "run", "--listen", "127.0.0.1:0",
                          "--http", "127.0.0.1:0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = ""
        while "running:" not in line:
            line = p.stderr.readline()
            if not line:
                return "no 'running:' line"
        m = re.search(r"pages (https://\S+)", line)
        if not m:
            return line
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(m.group(1) + "/login", context=ctx, timeout=20) as r:
            return r.status
    finally:
        p.terminate()
        p.wait(20)


def counts(data):
    return json.loads(outpost(data, "status", "--json"))["records"]


def fill(d, path, value):
    el = d.find_element(By.CSS_SELECTOR, '[data-path="%s"]' % path)
    if el.tag_name == "select":
        Select(el).select_by_value(value)
    else:
        el.clear()
        el.send_keys(value)


TRUCK = {
    "movement.direction": "in", "movement.mode": "road", "movement.route": "TR,RS,BA",
    "movement.vehicle.plate": "SA123BC", "movement.vehicle.plate_country": "RS",
    "movement.vehicle.kind": "truck",
    "movement.persons[0].family_name": "Nikolić", "movement.persons[0].given_names": "Marko",
    "movement.persons[0].nationality": "RS", "movement.persons[0].document_type": "passport",
    "movement.persons[0].document_number": "012345678",
    "movement.equipment[0].number": "CSQU3054383", "movement.equipment[0].size_type": "42G1",
    "movement.equipment[0].loaded": "true",
    "movement.equipment[0].seals[0].number": "S123",
    "movement.consignments[0].transport_doc_type": "CMR",
    "movement.consignments[0].transport_doc_number": "A1",
    "movement.consignments[0].shipper.name": "Acme Ltd",
    "movement.consignments[0].consignee.name": "Bosna Trade",
    "movement.consignments[0].goods[0].hs_code": "240220",
    "movement.consignments[0].goods[0].description": "cigarettes",
    "movement.consignments[0].goods[0].gross_kg": "1200.5",
}


def scenario_language(d, url, wait):
    """The officer picks Bosnian/Croatian/Serbian on the home page: every page
    speaks it (the account keeps it), then English again."""
    Select(d.find_element(By.ID, "language")).select_by_value("bs")
    wait.until(EC.text_to_be_present_in_element((By.ID, "tasks"), "Novi prelazak"))
    check(d.find_element(By.ID, "signout").text == "Odjava",
          "in Bosnian: the sign-out button says Odjava")
    d.get(url + "/movements/new")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-path="movement.vehicle.plate"]')))
    plate = d.find_element(By.CSS_SELECTOR, 'label[for="f-movement-vehicle-plate"]').text
    heading = d.find_element(By.TAG_NAME, "h1").text
    check(heading == "Novi prelazak" and plate.startswith("Registarska oznaka"),
          "the new-movement form in Bosnian: %r, %r" % (heading, plate))
    direction = [o.text for o in Select(d.find_element(
        By.CSS_SELECTOR, '[data-path="movement.direction"]')).options]
    check("ulaz" in direction, "allowed values in words: %s" % direction)
    shot(d, "09-new-movement-bosnian")
    d.get(url + "/")
    wait.until(EC.presence_of_element_located((By.ID, "language")))
    Select(d.find_element(By.ID, "language")).select_by_value("en")
    wait.until(EC.text_to_be_present_in_element((By.ID, "tasks"), "New movement"))
    check(d.find_element(By.ID, "signout").text == "Sign out", "and back in English")


def scenario_search(d, url, data):
    """Search (/search): the driver of the recorded truck, typed without diacritics."""
    wait = WebDriverWait(d, 20)
    d.get(url + "/")
    wait.until(EC.presence_of_element_located((By.LINK_TEXT, "Search movements"))).click()
    q = wait.until(EC.presence_of_element_located((By.ID, "q")))
    wait.until(lambda drv: drv.switch_to.active_element.get_attribute("id") == "q")
    check(True, "the search box has the focus on load")
    q.send_keys("nikolic" + Keys.ENTER)
    row = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#rows tr")))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    check(len(cells) == 6 and cells[1] == "SA123BC" and cells[2] == "Marko Nikolić",
          "'nikolic' finds the truck's driver Nikolić: %s" % cells)
    check(re.search(r"\d:\d\d", cells[0]) and not re.search(r"T\d\d:|Z$", cells[0]),
          "the time is shown as a local date and time, not as stored: " + cells[0])
    shot(d, "20-search")
    q = d.find_element(By.ID, "q")
    q.clear()
    q.send_keys("n" + Keys.ENTER)
    err = wait.until(EC.visibility_of_element_located((By.ID, "q-error")))
    check("2 characters" in err.text, "a one-letter search is refused at the box: " + err.text)
    audit = json.loads(outpost(data, "audit", "list", "--json"))
    entries = audit if isinstance(audit, list) else audit.get("entries", [])
    check(any(e.get("officer") == "marko" and e.get("action") == "consult" and
              "desk search" in json.dumps(e) for e in entries),
          "the search is audited as the officer's consultation")


def scenario_queue_shift(d, url, data):
    """Queue (/queue) and Shift (/shift): the truck awaits a decision, then,
    decided red at the CLI, an inspection result; the supervisor's shift
    counts it in the red lane."""
    wait = WebDriverWait(d, 20)
    d.get(url + "/queue")
    row = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#queue tr")))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    check(len(cells) == 6 and cells[1] == "SA123BC" and cells[5] == "Decision",
          "the queue lists the truck awaiting a decision: %s" % cells)
    shot(d, "30-queue")
    movement = row.get_attribute("data-id")
    outpost(data, "risk", "decide", movement, "--lane", "red", "--reason",
            "seal S123 looks re-glued", env_extra={"OUTPOST_OFFICER": "marko"})
    d.get(url + "/queue")
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#queue tr"), "Inspection"))
    cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#queue tr td")]
    check(cells[4].startswith("RED") and cells[5] == "Inspection result",
          "decided red, it now awaits an inspection result: %s" % cells)
    d.find_element(By.CSS_SELECTOR, "#queue tr a").click()
    wait.until(EC.url_contains("/movements/view?id=" + movement))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#decisions li strong")))
    check(d.find_element(By.TAG_NAME, "h1").text == "Movement",
          "a queue row opens its movement's file")
    record = d.find_element(By.ID, "record").text
    decisions = d.find_element(By.ID, "decisions").text
    check("SA123BC" in record and "Marko Nikolić" in record and "CSQU3054383" in record,
          "the file shows the plate, driver and container: %r" % record)
    check(decisions.startswith("RED") and "seal S123 looks re-glued" in decisions and
          "marko" in decisions, "and the decision with its reason and officer: %r" % decisions)
    shot(d, "32-movement-file")
    status = fetch_status(d, "GET", "/api/shift", {})
    check(status == 403, "an officer may not read the shift summary (%s)" % status)
    boss = new_driver()
    try:
        sign_in(boss, url, "vesna")
        WebDriverWait(boss, 20).until(EC.url_to_be(url + "/"))
        boss.find_element(By.LINK_TEXT, "Shift at a glance").click()
        WebDriverWait(boss, 20).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "#counts li")))
        counts_text = boss.find_element(By.ID, "counts").text
        check("RED lane" in counts_text and "movements" in counts_text,
              "the shift counts the truck in the red lane: %r" % counts_text)
        check(boss.find_element(By.ID, "ruleset").text.startswith("None"),
              "and says no ruleset is in force")
        shot(boss, "31-shift")
    finally:
        boss.quit()


UI_RULES = """ruleset "ui-test" version 1
thresholds yellow 40 red 70
list "hs_tobacco" hs { "2402", "2403" }
rule R-TOB
  description "Tobacco products declared"
  when any goods: goods.hs_code in list "hs_tobacco"
  score 80
  instructions "X-ray the load; check the tax stamps."
end
"""


def deliver_ruleset(tmp, data):
    """HQ enrolls the crossing and signs a ruleset; a USB bundle carries it."""
    hq = os.path.join(tmp, "lane-hq")
    outpost(hq, "init", "--role", "hq", "--name", "HQ", "--hq-address", "127.0.0.1:7400")
    fp = json.loads(outpost(hq, "--json", "keys", "show"))["signing_fingerprint"]
    req, cert = os.path.join(tmp, "gra.request"), os.path.join(tmp, "gra.cert")
    outpost(data, "keys", "request", "--out", req)
    outpost(hq, "keys", "enroll", req, "--out", cert, "--yes")
    outpost(data, "keys", "install", cert, "--hq-fingerprint", fp)
    rules = os.path.join(tmp, "ui.rules")
    with open(rules, "w") as f:
        f.write(UI_RULES)
    outpost(hq, "--officer", "HQ-0001", "risk", "load", rules)
    bundle = os.path.join(tmp, "hq-to-gra.opb")
    outpost(hq, "bundle", "export", "--to", "Gradiška crossing", "--out", bundle)
    outpost(data, "bundle", "import", bundle)


def scenario_lane(d, url, data):
    """The lane (issue 19): a truck with cigarettes comes up RED with its
    reason; the officer overrides to YELLOW (a reason is required), then
    records an X-ray inspection with a seizure; an invalid quantity is
    refused at its field and stores neither inspection nor seizure."""
    wait = WebDriverWait(d, 20)
    deliver_ruleset(os.path.dirname(data), data)
    d.get(url + "/movements/new")
    wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, '[data-path="movement.consignments[0].goods[0].hs_code"]')))
    for path, value in TRUCK.items():
        fill(d, path, value)
    d.find_element(By.CSS_SELECTOR, '[data-path="movement.consignments[0].goods[0].gross_kg"]'
                   ).send_keys(Keys.ENTER)
    wait.until(EC.url_contains("/movements/view?id="))
    name = wait.until(EC.visibility_of_element_located((By.ID, "lane-name")))
    hits = d.find_element(By.ID, "hits").text
    check("RED" in name.text and "Tobacco products declared" in hits and "X-ray" in hits,
          "a red lane with its reason in words: %r, %r" % (name.text, hits))
    wait.until(lambda drv: drv.switch_to.active_element.get_attribute("id") == "accept")
    check(d.find_element(By.ID, "accept").text == "Accept RED",
          "the focus is on 'Accept RED': Enter accepts")
    shot(d, "10-lane-red")
    before = counts(data)

    # Another lane without a reason: refused at the reason field.
    Select(d.find_element(By.ID, "f-lane")).select_by_value("yellow")
    d.find_element(By.ID, "f-reason").send_keys(Keys.ENTER)
    err = wait.until(EC.visibility_of_element_located((By.ID, "f-reason-error")))
    check("must not be empty" in err.text, "an override needs a reason: " + err.text)
    check(d.switch_to.active_element.get_attribute("id") == "f-reason",
          "the focus moves to the reason")
    shot(d, "11-override-needs-reason")
    d.find_element(By.ID, "f-reason").send_keys("regular carrier, seals intact" + Keys.ENTER)
    decided = wait.until(EC.visibility_of_element_located((By.ID, "decided")))
    check("YELLOW" in decided.text and "overrides the recommended RED" in decided.text,
          "the override is recorded: " + decided.text)
    wait.until(lambda drv: drv.switch_to.active_element.get_attribute("name") == "methods")
    check(True, "the focus moves on to the inspection")
    shot(d, "12-decided-inspection")

    # The inspection: X-ray, a seizure; a bad quantity first.
    d.find_element(By.ID, "f-methods-xray").click()
    d.find_element(By.ID, "f-result-seizure").click()
    wait.until(EC.visibility_of_element_located((By.ID, "seizure")))
    fill(d, "inspection.seizures[0].commodity_group", "tobacco")
    fill(d, "inspection.seizures[0].subtype", "cigarettes")
    fill(d, "inspection.seizures[0].quantity", "-12000")
    fill(d, "inspection.seizures[0].unit", "NAR")
    fill(d, "inspection.seizures[0].concealment_location", "false floor of the trailer")
    d.find_element(By.ID, "f-note").send_keys("cartons behind the pallets" + Keys.ENTER)
    err = wait.until(EC.visibility_of_element_located(
        (By.ID, "f-inspection-seizures-0-quantity-error")))
    check("-12000" in d.find_element(By.ID, "summary").text or "positive" in err.text
          or "> 0" in err.text, "a negative quantity is refused at its field: " + err.text)
    shot(d, "13-seizure-refused")
    mid = counts(data)
    check(mid.get("inspection", 0) == before.get("inspection", 0) and
          mid.get("seizure", 0) == before.get("seizure", 0),
          "nothing stored: neither the inspection nor the seizure")
    fill(d, "inspection.seizures[0].quantity", "12000")
    d.find_element(By.ID, "save-inspection").send_keys(Keys.ENTER)
    done = wait.until(EC.visibility_of_element_located((By.ID, "inspected")))
    check("Seizure" in done.text and "1 seizure" in done.text,
          "the inspection and its seizure are recorded: " + done.text)
    check(d.switch_to.active_element.get_attribute("id") == "next",
          "the focus moves to the next movement")
    shot(d, "14-inspection-recorded")
    after = counts(data)
    check(after.get("inspection", 0) == before.get("inspection", 0) + 1 and
          after.get("seizure", 0) == before.get("seizure", 0) + 1,
          "one inspection and one seizure stored (%s)" % after)
    audit = json.loads(outpost(data, "audit", "list", "--json"))
    entries = audit if isinstance(audit, list) else audit.get("entries", [])
    check(any(e.get("officer") == "marko" and e.get("record_type") == "inspection"
              for e in entries) and
          any(e.get("officer") == "marko" and e.get("record_type") == "risk_decision"
              for e in entries),
          "the decision and the inspection are in the audit log under the account")


VOLUME_SITES = (("BA-GRA", 60), ("BA-BIJ", 35), ("XK-VRB", 25))


def volumes_network(tmp):
    """HQ and three enrolled crossings; each records simulated traffic of the
    last days and carries it to HQ on a bundle file. Returns HQ's data dir."""
    hq = os.path.join(tmp, "vol-hq")
    outpost(hq, "init", "--role", "hq", "--name", "HQ", "--hq-address", "127.0.0.1:7400")
    fp = json.loads(outpost(hq, "--json", "keys", "show"))["signing_fingerprint"]
    start = time.strftime("%Y-%m-%dT06:00:00Z", time.gmtime(time.time() - 2 * 86400))
    for seed, (code, n) in enumerate(VOLUME_SITES, start=1):
        site = os.path.join(tmp, "vol-" + code)
        outpost(site, "init", "--role", "site", "--name", code, "--site", code)
        req, cert = site + ".request", site + ".cert"
        outpost(site, "keys", "request", "--out", req)
        outpost(hq, "keys", "enroll", req, "--out", cert, "--yes")
        outpost(site, "keys", "install", cert, "--hq-fingerprint", fp)
        traffic = site + ".jsonl"
        outpost(site, "simulate", "--site", code, "--movements", str(n), "--seed", str(seed),
                "--start", start, "--out", traffic)
        outpost(site, "--officer", code + "-0042", "record", "import", traffic)
        bundle = site + "-to-hq.opb"
        outpost(site, "bundle", "export", "--to", "HQ", "--out", bundle)
        outpost(hq, "bundle", "import", bundle)
    for name, role in (("iva", "analyst"), ("marko", "officer")):
        outpost(hq, "users", "add", name, "--role", role)
    return hq


def canvas_drawn_pixels(d):
    """Pixels of the chart's canvas painted in a bar colour (volumes.js COLOURS),
    so axes and a legend alone do not count as a chart that draws."""
    return d.execute_script(
        "const c = document.getElementById('chart');"
        "const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "const bars = new Set(Object.values(COLOURS).flat().map((h) => h.toLowerCase()));"
        "const hex = (v) => v.toString(16).padStart(2, '0');"
        "let n = 0;"
        "for (let i = 0; i < px.length; i += 4) {"
        "  if (px[i + 3] === 255 && bars.has('#' + hex(px[i]) + hex(px[i + 1]) + hex(px[i + 2]))) n++;"
        "}"
        "return n;")


def scenario_volumes(tmp, procs):
    """HQ's volumes (issue 20): an analyst at HQ sees the three crossings'
    movements merged from their bundles, a chart that draws and the same
    figures as a table; the CSV export has the table's rows; one crossing
    alone; a bad period refused at its field; an officer gets 403."""
    import csv
    import io
    hq = volumes_network(tmp)
    web, url = start_web(hq)
    procs.append(web)
    d = new_driver()
    try:
        wait = WebDriverWait(d, 20)
        sign_in(d, url, "iva")
        wait.until(EC.url_to_be(url + "/"))
        wait.until(EC.presence_of_element_located((By.PARTIAL_LINK_TEXT, "Volumes"))).click()
        wait.until(lambda drv: drv.find_element(By.TAG_NAME, "body").get_attribute(
            "data-loaded") == "yes")
        options = [o.get_attribute("value") for o in
                   d.find_elements(By.CSS_SELECTOR, "#f-crossing option")]
        check(options == ["", "BA-BIJ", "BA-GRA", "XK-VRB"],
              "the crossing filter lists the three crossings: %s" % options)
        total = int(d.find_element(By.CSS_SELECTOR, "#totals li .n").text)
        expected = sum(n for _, n in VOLUME_SITES)
        check(total == expected, "HQ counts every merged movement: %d of %d" % (total, expected))
        pixels = canvas_drawn_pixels(d)
        check(pixels > 2000, "the chart draws its bars (%d pixels in bar colours)" % pixels)
        rows = d.find_elements(By.CSS_SELECTOR, "#volumes-body tr")
        crossings = {r.find_elements(By.TAG_NAME, "td")[1].text for r in rows}
        check(crossings == {"BA-BIJ", "BA-GRA", "XK-VRB"},
              "the table has rows of the three crossings: %s" % sorted(crossings))
        d.set_window_size(1366, 1600)  # the whole page: chart, legend, table
        time.sleep(0.5)
        shot(d, "50-volumes")
        d.set_window_size(1366, 768)
        href = d.find_element(By.ID, "export").get_attribute("href")
        check("/api/volumes.csv?" in href, "Export CSV links to the CSV of these filters")
        text = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done)"
            ".catch(e => done(String(e)));", href)
        table = list(csv.reader(io.StringIO(text, newline="")))
        check(table[0][:3] == ["period_start", "crossing", "movements"] and
              len(table) - 1 == len(rows),
              "the CSV parses with the table's %d rows (%d)" % (len(rows), len(table) - 1))
        check(sum(int(r[2]) for r in table[1:]) == expected, "and the same movements")
        Select(d.find_element(By.ID, "f-crossing")).select_by_value("BA-BIJ")
        Select(d.find_element(By.ID, "f-by")).select_by_value("hour")
        d.find_element(By.ID, "show").click()
        wait.until(lambda drv: {r.find_elements(By.TAG_NAME, "td")[1].text for r in
                                drv.find_elements(By.CSS_SELECTOR, "#volumes-body tr")} ==
                   {"BA-BIJ"})
        total = int(d.find_element(By.CSS_SELECTOR, "#totals li .n").text)
        check(total == 35, "one crossing, by hour: Bijača's 35 movements (%d)" % total)
        check(canvas_drawn_pixels(d) > 2000, "the chart draws again by hour")
        shot(d, "51-volumes-one-crossing-by-hour")
        d.execute_script("document.getElementById('f-from').value = '2026-12-31';"
                         "document.getElementById('f-to').value = '2026-12-01';")
        d.find_element(By.ID, "show").click()
        err = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#summary li")))
        check("is before from" in err.text, "a period that ends before it starts is "
              "refused, naming the field: " + err.text)
        check(d.find_elements(By.CSS_SELECTOR, ".field.invalid #f-to"),
              "and the To field is marked")
        shot(d, "52-volumes-bad-period")
        d.find_element(By.ID, "signout").click()
        wait.until(EC.url_to_be(url + "/login"))
        sign_in(d, url, "marko")
        wait.until(EC.url_to_be(url + "/"))
        check("Volumes" not in d.find_element(By.ID, "tasks").text,
              "an officer's home has no Volumes link")
        status = fetch_status(d, "GET", "/api/volumes", {})
        check(status == 403, "an officer may not read the volumes (%s)" % status)
        d.get(url + "/volumes")
        wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Not allowed"))
        check(True, "and the page is refused to an officer")
    finally:
        d.quit()


def main():
    os.makedirs(uitest.OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="outpost-ui-")
    data = os.path.join(tmp, "data")
    procs = []
    d = None
    t0 = time.time()
    try:
        outpost(data, "init", "--role", "site", "--name", "Gradiška crossing", "--site", "BA-GRA")
        for name, role in (("marko", "officer"), ("petra", "officer"), ("ana", "admin"),
                           ("vesna", "supervisor")):
            outpost(data, "users", "add", name, "--role", role)
        fp = json.loads(outpost(data, "status", "--json"))["web_certificate_sha256"]
        check(fp is not None and len(fp) == 95, "status shows the certificate's SHA-256")
        served = run_http_serves(tmp)
        check(served == 200, "outpost run --http serves the pages beside sync (%s)" % served)
        web, url = start_web(data)
        procs.append(web)
        check(url.startswith("https://127.0.0.1:"), "outpost web serves HTTPS: " + url)
        d = new_driver()
        wait = WebDriverWait(d, 20)

        # Sign-in page; a wrong password, shown at the password field.
        d.get(url + "/login")
        shot(d, "01-sign-in")
        sign_in(d, url, "petra", "not the password at all")
        err = wait.until(EC.visibility_of_element_located((By.ID, "password-error")))
        check("wrong" in err.text, "a wrong password is refused at the field: " + err.text)
        shot(d, "02-wrong-password")
        for _ in range(5):
            sign_in(d, url, "petra", "not the password at all")
            wait.until(EC.visibility_of_element_located((By.ID, "summary")))
            time.sleep(0.2)
        summary = d.find_element(By.ID, "summary").text
        check("too many failed sign-ins" in summary, "then rate-limited: " + summary)
        shot(d, "03-rate-limited")

        # The officer signs in.
        sign_in(d, url, "marko")
        wait.until(EC.url_to_be(url + "/"))
        wait.until(EC.text_to_be_present_in_element((By.ID, "who"), "marko"))
        check("New movement" in d.page_source, "the officer's home offers New movement")
        shot(d, "04-officer-home")
        scenario_language(d, url, wait)

        # Refusals: no CSRF token; an admin page.
        status = fetch_status(d, "POST", "/api/movements", {"Content-Type": "application/json"})
        check(status == 403, "a POST without the CSRF token is refused (%s)" % status)
        status = fetch_status(d, "GET", "/api/users", {})
        check(status == 403, "an officer calling the admin API gets 403 (%s)" % status)
        d.get(url + "/admin/users")
        wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Not allowed"))
        status = fetch_status(d, "GET", "/admin/users", {})
        check(status == 403, "an officer opening an admin page gets 403 (%s)" % status)
        shot(d, "05-officer-admin-403")

        # A truck with two goods items and a container.
        d.get(url + "/movements/new")
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '[data-path="movement.consignments[0].goods[0].hs_code"]')))
        for path, value in TRUCK.items():
            fill(d, path, value)
        d.find_element(By.ID, "add-goods").click()
        fill(d, "movement.consignments[0].goods[1].hs_code", "080810")
        fill(d, "movement.consignments[0].goods[1].description", "apples")
        fill(d, "movement.consignments[0].goods[1].gross_kg", "9000")
        shot(d, "06-new-movement")
        before = counts(data)
        d.find_element(By.CSS_SELECTOR, '[data-path="movement.consignments[0].goods[1].gross_kg"]'
                       ).send_keys(Keys.ENTER)
        wait.until(EC.url_contains("/movements/view?id="))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#record dd")))
        lane = d.find_element(By.ID, "lane").text
        check("no lane recommended" in lane.lower(), "the lane panel says why there is no lane: " + lane)
        shot(d, "07-movement-saved")
        after = counts(data)
        check(after["movement"] == before["movement"] + 1, "the movement is stored")
        check(after["goods_item"] == 2 and after["equipment"] == 1,
              "with two goods items and a container (%s)" % after)
        audit = json.loads(outpost(data, "audit", "list", "--json"))
        entries = audit if isinstance(audit, list) else audit.get("entries", [])
        check(any(e.get("officer") == "marko" for e in entries),
              "the audit log names the signed-in account")
        scenario_search(d, url, data)
        scenario_queue_shift(d, url, data)

        # An invalid container number: the error at that field, nothing stored.
        d.get(url + "/movements/new")
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '[data-path="movement.equipment[0].number"]')))
        for path, value in TRUCK.items():
            fill(d, path, value)
        fill(d, "movement.equipment[0].number", "CSQU3054384")
        d.find_element(By.ID, "save").click()
        err = wait.until(EC.visibility_of_element_located(
            (By.ID, "f-movement-equipment-0-number-error")))
        check("ISO 6346" in err.text, "the invalid container is refused at its field: " + err.text)
        check(d.switch_to.active_element.get_attribute("data-path") ==
              "movement.equipment[0].number", "focus moves to the field that failed")
        shot(d, "08-invalid-container")
        check(counts(data)["movement"] == after["movement"], "nothing is stored")
        scenario_lane(d, url, data)
        scenario_volumes(tmp, procs)

        # Sign out: the pages send the browser back to sign in.
        d.get(url + "/")
        wait.until(EC.text_to_be_present_in_element((By.ID, "who"), "marko"))
        d.find_element(By.ID, "signout").click()
        wait.until(EC.url_to_be(url + "/login"))
        d.get(url + "/movements/new")
        check(d.current_url == url + "/login", "after sign-out a page redirects to sign in")
        shot(d, "09-signed-out")

        # An expired session: a second server with 2-second idle sessions.
        cfg = os.path.join(tmp, "short.toml")
        with open(cfg, "w") as f:
            f.write("http_session_idle_seconds = 2\n")
        short, url2 = start_web(data, "--config", cfg)
        procs.append(short)
        sign_in(d, url2, "marko")
        WebDriverWait(d, 20).until(EC.url_to_be(url2 + "/"))
        time.sleep(3)
        d.get(url2 + "/movements/new")
        check(d.current_url == url2 + "/login", "an idle session has expired")
        check(web.poll() is None, "the node kept serving throughout")
    finally:
        if d:
            d.quit()
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return uitest.finish(t0)


if __name__ == "__main__":
    sys.exit(main())
