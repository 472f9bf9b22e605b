"""What every browser test of Outpost's pages shares (docs/ui.md): the
`outpost` binary and the screenshot folder from the command line, nodes made
and started through the real CLI, Debian's headless chromium at 1366x768, and
signing in. A test imports it first:

    import uitest
    from uitest import By, EC, Keys, WebDriverWait, check, outpost, ...

    some_ui_test.py OUTPOST_BINARY OUTPUT_DIR

Importing it exits with 77 (CTest: skipped) when python3-selenium or
chromium-driver is missing (scripts/setup installs both).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed (scripts/setup)")
    sys.exit(77)

OUTPOST, OUT = sys.argv[1], sys.argv[2]
PASSWORD = "correct horse battery staple"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not os.path.exists(CHROMEDRIVER):
    print("skipped: chromium-driver is not installed (scripts/setup)")
    sys.exit(77)

__all__ = ["By", "EC", "Keys", "Select", "WebDriverWait", "OUTPOST", "OUT", "PASSWORD", "check",
           "finish", "outpost", "start", "start_web", "stop", "free_port", "init_hq", "enroll",
           "shot", "new_driver", "sign_in", "sign_in_home", "fetch_status", "dump_browser_log"]

failures = []


def check(cond, what):
    """Records one assertion; the test fails at the end if any failed."""
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def finish(t0):
    """The exit code for CTest, after printing the failure count."""
    print("%d failures, %.1f s" % (len(failures), time.time() - t0))
    return 1 if failures else 0


def node_env(env_extra=None):
    env = dict(os.environ, OUTPOST_PASSPHRASE=PASSWORD, OUTPOST_NEW_PASSWORD=PASSWORD)
    env.update(env_extra or {})
    return env


def outpost(data, *args, env_extra=None):
    """Runs `outpost --data DATA ARGS...`; returns its standard output."""
    return subprocess.run([OUTPOST, "--data", data, *args], env=node_env(env_extra),
                          check=True, capture_output=True, text=True).stdout


def start(data, *args, pattern):
    """Starts `outpost --data DATA ARGS...`; returns (process, the first group
    of `pattern` matched in its first line of output)."""
    p = subprocess.Popen([OUTPOST, "--data", data, *args], env=node_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(pattern, line)
    if not m:
        p.kill()
        raise SystemExit("outpost %s did not start: %s" % (args[0], line))
    return p, m.group(1)


def start_web(data, *extra):
    """Starts `outpost web` on a free port; returns (process, https url)."""
    return start(data, "web", "--listen", "127.0.0.1:0", *extra,
                 pattern=r"serving (https://\S+)")


def stop(p):
    p.terminate()
    p.wait(20)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_hq(data, port, name="HQ Sarajevo"):
    """`outpost init --role hq`; returns HQ's signing fingerprint."""
    outpost(data, "init", "--role", "hq", "--name", name, "--hq-address",
            "127.0.0.1:%d" % port)
    return json.loads(outpost(data, "--json", "keys", "show"))["signing_fingerprint"]


def enroll(tmp, hq, fp, name, site):
    """A crossing made and enrolled at HQ the way docs/operator-guide.md says:
    init, keys request, keys enroll at HQ, keys install. Returns its data dir."""
    data = os.path.join(tmp, site)
    outpost(data, "init", "--role", "site", "--name", name, "--site", site)
    req, cert = os.path.join(tmp, site + ".request"), os.path.join(tmp, site + ".cert")
    outpost(data, "keys", "request", "--out", req)
    outpost(hq, "keys", "enroll", req, "--out", cert, "--yes")
    outpost(data, "keys", "install", cert, "--hq-fingerprint", fp)
    return data


def shot(driver, name):
    driver.save_screenshot(os.path.join(OUT, name + ".png"))


def new_driver():
    """Headless chromium at a booth screen's size, trusting the node's own
    certificate (the test pins nothing; the node's fingerprint is in status)."""
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1366,768", "--ignore-certificate-errors", "--lang=en"):
        o.add_argument(a)
    o.set_capability("acceptInsecureCerts", True)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)


def sign_in(d, url, name, password=PASSWORD):
    """Types a name and password and presses Enter; does not wait."""
    d.get(url + "/login")
    d.find_element(By.ID, "name").clear()
    d.find_element(By.ID, "name").send_keys(name)
    d.find_element(By.ID, "password").send_keys(password + Keys.ENTER)


def sign_in_home(d, url, name):
    """Signs in and waits for the home page."""
    sign_in(d, url, name)
    WebDriverWait(d, 20).until(EC.url_to_be(url + "/"))


def fetch_status(d, method, path, headers=None):
    """The HTTP status the page's own fetch() gets, with its cookies."""
    return d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[1], {method: arguments[0], headers: arguments[2], body: "
        "arguments[0] === 'GET' ? undefined : '{}', credentials: 'same-origin'})"
        ".then(r => done(r.status)).catch(e => done(String(e)));", method, path, headers or {})


def dump_browser_log(d, name):
    """On a failure: a screenshot and the browser's console."""
    shot(d, name)
    for entry in d.get_log("browser"):
        print("browser: %s" % entry.get("message"))
