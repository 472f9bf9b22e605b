#!/usr/bin/env python3
"""HQ's network page in a real browser (issue 20): a real HQ node and three
real crossings (`outpost init`, `keys request/enroll/install`), HQ serving
(`outpost serve`) while two crossings sync (`outpost sync`), one crossing that
never connects, one revoked with a reason that looks like HTML; then
`outpost web` on HQ over real HTTPS, driven by Debian's headless chromium.

    network_ui_test.py OUTPOST_BINARY OUTPUT_DIR

Scenarios: an analyst signs in, follows the home page's link, sees every
crossing with its state in words (ok, never connected, revoked) and the
revocation's reason as text, opens a crossing's sessions, lowers the
threshold until the synced crossing shows as behind; a bad threshold is
refused at its field; the page in Bosnian; an officer gets the 403 page.
Screenshots (1366x768) are written to OUTPUT_DIR. Exit 77 (CTest: skipped)
when selenium or chromium is missing.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

import uitest
from uitest import (EC, By, Keys, Select, WebDriverWait, check, enroll, free_port, init_hq,
                    new_driver, outpost, shot, sign_in_home, start, stop)
from selenium.common.exceptions import StaleElementReferenceException

# A revocation reason is free text: it must show as text, never as markup.
HOSTILE = '<img src=x id=injected onerror="document.title=1">laptop stolen'

RULES = """ruleset "national" version 2
thresholds yellow 40 red 70
list "hs_tobacco" hs { "2402", "2403" }
rule R-TOB
  description "Tobacco products declared"
  when any goods: goods.hs_code in list "hs_tobacco"
  score 80
end
"""

def build_network(tmp):
    """HQ and three crossings: Gradiška and Vrbnica sync, Bijača never does;
    Vrbnica is then revoked."""
    hq = os.path.join(tmp, "hq")
    port = free_port()
    fp = init_hq(hq, port)
    gra = enroll(tmp, hq, fp, "Gradiška", "BA-GRA")
    enroll(tmp, hq, fp, "Bijača", "BA-BIJ")
    vrb = enroll(tmp, hq, fp, "Vrbnica", "XK-VRB")
    rules = os.path.join(tmp, "national.rules")
    with open(rules, "w") as f:
        f.write(RULES)
    outpost(hq, "--officer", "HQ-0001", "risk", "load", rules)
    serve, _ = start(hq, "serve", "--listen", "127.0.0.1:%d" % port, pattern=r"serving on (\S+)")
    try:
        outpost(gra, "sync")  # brings the ruleset
        outpost(gra, "--officer", "BA-GRA-0042", "record", "add", "movement", "--doc",
                json.dumps({"direction": "in", "mode": "road",
                            "vehicle": {"plate": "SA123BC", "kind": "truck"}}))
        outpost(gra, "sync")  # the assessment naming it reaches HQ
        outpost(vrb, "sync")
    finally:
        stop(serve)
    outpost(hq, "keys", "revoke", "Vrbnica", "--reason", HOSTILE)
    for name, role in (("vesna", "analyst"), ("marko", "officer")):
        outpost(hq, "users", "add", name, "--role", role)
    return hq


def rows(d):
    """{crossing name: [cell texts]} of the network table."""
    out = {}
    for tr in d.find_elements(By.CSS_SELECTOR, "#crossing-rows tr"):
        cells = [c.text for c in tr.find_elements(By.TAG_NAME, "td")]
        out[cells[1].split("\n")[0]] = cells
    return out


def scenario_analyst(d, url):
    # The table is redrawn on each answer: a row read mid-redraw is stale.
    wait = WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException, KeyError))
    sign_in_home(d, url, "vesna")
    link = wait.until(EC.presence_of_element_located(
        (By.LINK_TEXT, "Network: crossings and their sync")))
    check(True, "the analyst's home page links to the network")
    link.click()
    wait.until(EC.url_to_be(url + "/network"))
    wait.until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#crossing-rows tr")) == 3)
    r = rows(d)
    check(sorted(r) == ["Bijača", "Gradiška", "Vrbnica"], "three crossings listed: %s" % sorted(r))
    check(r["Gradiška"][0].startswith("OK"), "Gradiška synced: OK in words: %r" % r["Gradiška"][0])
    check(r["Bijača"][0].startswith("NEVER CONNECTED"),
          "Bijača never connected, said in words: %r" % r["Bijača"][0])
    check(r["Vrbnica"][0].startswith("REVOKED"), "Vrbnica revoked: %r" % r["Vrbnica"][0])
    check(HOSTILE in r["Vrbnica"][4], "the revocation's reason shown as text: %r" % r["Vrbnica"][4])
    check(not d.find_elements(By.ID, "injected") and d.title != "1",
          "the reason's markup is not markup")
    check(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \S+$", r["Gradiška"][2]) is not None,
          "Gradiška's last contact as a local time: %r" % r["Gradiška"][2])
    check("never connected" in r["Bijača"][2], "Bijača: no contact: %r" % r["Bijača"][2])
    check("epoch 1" in r["Gradiška"][6], "the certificate's epoch and expiry: %r" % r["Gradiška"][6])
    check(r["Gradiška"][5].startswith("national version 2") and "the newest" in r["Gradiška"][5],
          "Gradiška's assessments name HQ's newest ruleset: %r" % r["Gradiška"][5])
    check(r["Bijača"][5] == "not known", "Bijača's rules are not known: %r" % r["Bijača"][5])
    shot(d, "40-network")

    # Gradiška's sessions: two, both ok, newest first.
    d.find_element(By.XPATH, "//button[@class='row-link' and text()='Gradiška']").click()
    wait.until(EC.visibility_of_element_located((By.ID, "sessions-panel")))
    wait.until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#session-rows tr[data-outcome]")) == 2)
    outcomes = [tr.get_attribute("data-outcome")
                for tr in d.find_elements(By.CSS_SELECTOR, "#session-rows tr")]
    check(outcomes == ["ok", "ok"], "Gradiška's two sessions are ok: %s" % outcomes)
    check("Gradiška" in d.find_element(By.ID, "sessions-title").text, "the panel names the crossing")
    shot(d, "41-network-sessions")

    # Vrbnica's sessions: the one before its revocation.
    d.find_element(By.XPATH, "//button[@class='row-link' and text()='Vrbnica']").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "sessions-title"), "Vrbnica"))
    wait.until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#session-rows tr[data-outcome]")) == 1)
    check(True, "Vrbnica's session before its revocation is listed")

    # A threshold of a few seconds: Gradiška, silent since its sync, is behind.
    time.sleep(2)
    box = d.find_element(By.ID, "behind-hours")
    box.clear()
    box.send_keys("0.0003" + Keys.ENTER)  # about a second
    wait.until(lambda drv: rows(drv)["Gradiška"][0].startswith("BEHIND"))
    r = rows(d)
    check(r["Gradiška"][0].startswith("BEHIND") and "last contact" in r["Gradiška"][0],
          "past the threshold Gradiška is BEHIND, in words: %r" % r["Gradiška"][0])
    check(r["Bijača"][0].startswith("BEHIND"), "and so is Bijača: %r" % r["Bijača"][0])
    check(d.find_element(By.CSS_SELECTOR, "#crossing-rows tr").get_attribute("data-state") == "behind",
          "the crossings behind come first")
    shot(d, "42-network-behind")

    box.clear()
    box.send_keys("0" + Keys.ENTER)
    err = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".error-message")))
    check("above 0" in err.text, "a threshold of 0 is refused at its field: " + err.text)
    shot(d, "43-network-bad-threshold")

    # In Bosnian.
    d.get(url + "/")
    Select(wait.until(EC.presence_of_element_located((By.ID, "language")))).select_by_value("bs")
    wait.until(EC.text_to_be_present_in_element((By.ID, "tasks"), "Mreža"))
    d.get(url + "/network")
    wait.until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#crossing-rows tr")) == 3)
    r = rows(d)
    check(r["Vrbnica"][0].startswith("OPOZVAN") and r["Bijača"][0].startswith("NIKAD POVEZAN"),
          "the states in Bosnian: %r, %r" % (r["Vrbnica"][0], r["Bijača"][0]))
    check(d.find_element(By.TAG_NAME, "h1").text.startswith("Mreža"), "the heading in Bosnian")
    shot(d, "44-network-bosnian")
    d.get(url + "/")
    Select(wait.until(EC.presence_of_element_located((By.ID, "language")))).select_by_value("en")
    wait.until(EC.text_to_be_present_in_element((By.ID, "tasks"), "Network"))


def scenario_officer(d, url):
    d.delete_all_cookies()
    sign_in_home(d, url, "marko")
    check(not d.find_elements(By.LINK_TEXT, "Network: crossings and their sync"),
          "an officer's home page has no network link")
    d.get(url + "/network")
    heading = WebDriverWait(d, 20).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    check(heading.text == "Not allowed", "an officer gets the 403 page: %r" % heading.text)
    status = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/network', {credentials: 'same-origin'}).then(r => done(r.status));")
    check(status == 403, "and 403 from /api/network: %s" % status)
    shot(d, "45-network-officer-403")


def main():
    os.makedirs(uitest.OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="outpost-net-ui-")
    web = None
    d = None
    t0 = time.time()
    try:
        hq = build_network(tmp)
        web, url = uitest.start_web(hq)
        d = new_driver()
        try:
            scenario_analyst(d, url)
            scenario_officer(d, url)
        except Exception:
            uitest.dump_browser_log(d, "network-failure")
            raise
        check(web.poll() is None, "the node kept serving throughout")
    finally:
        if d:
            d.quit()
        if web:
            stop(web)
        shutil.rmtree(tmp, ignore_errors=True)
    return uitest.finish(t0)


if __name__ == "__main__":
    sys.exit(main())
