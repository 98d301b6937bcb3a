"""The review flow in a real browser (headless Chromium through chromedriver and selenium).

Starts `ensemble serve` on a free loopback port over a new database, posts a signed session-completed
webhook, waits for the drafting job, then as the clinician selects a sentence and checks that its
evidence is highlighted and edits a section; as the supervisor acknowledges the risk flag; as the
clinician signs; as the biller sees the claim become ready. Saves a screenshot of each page.

Usage: review_flow.py ENSEMBLE_BINARY SCENARIO_DIR OUTPUT_DIR
"""

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BINARY, SCENARIO, OUTPUT = (os.path.abspath(a) for a in sys.argv[1:4])
SESSION = "S-2026-05-14-FAM"
PATIENT = "CL-301"
SECRET = "browser-test-secret-" + os.urandom(8).hex()


def step(text):
    print(f"[browser] {text}", flush=True)


def fail(text):
    raise SystemExit(f"[browser] FAILED: {text}")


def ensemble(*args, db):
    result = subprocess.run([BINARY, *args, "--db", db], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"ensemble {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout.strip()


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def signed_delivery(base, event_id):
    session = json.load(open(os.path.join(SCENARIO, "session.json")))
    name = next(f for f in sorted(os.listdir(SCENARIO)) if f.startswith("transcript."))
    body = json.dumps(
        {"eventId": event_id, "session": session,
         "transcript": {"name": name, "content": open(os.path.join(SCENARIO, name)).read()}}).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return request("POST", base + "/webhooks/session-completed", body, {
        "Content-Type": "application/json", "X-Ensemble-Source": "ehr",
        "X-Ensemble-Timestamp": timestamp, "X-Ensemble-Signature": "sha256=" + signature})


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ensemble-browser-")
    db = os.path.join(work, "ensemble.db")
    ensemble("users", "add", "admin", "--name", "Practice Admin", "--role", "admin", db=db)
    people = [("intake", "EHR intake", "assistant", []), ("hcole", "Hannah Cole", "clinician", ["--clinician", "PROV-4"]),
              ("sup", "Sam Supervisor", "supervisor", []), ("bill", "Bea Biller", "biller", [])]
    tokens = {}
    for user, name, role, extra in people:
        ensemble("users", "add", user, "--name", name, "--role", role, *extra, "--as", "admin", db=db)
        tokens[user] = ensemble("users", "token", user, "--as", "admin", db=db)

    env = dict(os.environ, EHR_WEBHOOK_SECRET=SECRET)
    log = open(os.path.join(OUTPUT, "server.log"), "w+")
    server = subprocess.Popen(
        [BINARY, "serve", "--db", db, "--port", "0", "--source", "name=ehr,user=intake,secret-env=EHR_WEBHOOK_SECRET",
         "--log-format", "json"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    driver = None
    try:
        port = None
        for _ in range(200):
            log.seek(0)
            for line in log.read().splitlines():
                if "[ensemble] serving" in line:
                    port = line.rsplit(":", 1)[1].split(" ")[0]
            if port or server.poll() is not None:
                break
            time.sleep(0.1)
        if not port:
            fail("the server did not start; see server.log")
        base = f"http://127.0.0.1:{port}"
        step(f"server on {base}")

        status, answer = signed_delivery(base, "evt-browser-1")
        if status != 202:
            fail(f"webhook answered {status}: {answer}")
        job = answer["jobId"]
        status, again = signed_delivery(base, "evt-browser-1")
        if status != 200 or again["jobId"] != job or not again["duplicate"]:
            fail(f"a repeated delivery made a second job: {status} {again}")
        step(f"webhook accepted as {job}; the repeat was a duplicate")

        deadline = time.time() + 120
        while True:
            status, state = request("GET", f"{base}/jobs/{job}", headers={"Authorization": "Bearer " + tokens["intake"]})
            if status == 200 and state["state"] == "succeeded":
                break
            if state and state.get("state") == "failed" or time.time() > deadline:
                fail(f"job did not succeed: {status} {state}")
            time.sleep(0.2)
        step(f"job {job} succeeded as run {state['run']}")

        # What a load balancer and Prometheus see.
        for path, expected in [("/healthz", '"ok"'), ("/readyz", '"ready"'), ("/metrics", 'ensemble_jobs{kind="drafting",state="succeeded"} 1')]:
            with urllib.request.urlopen(base + path, timeout=10) as answer:
                body = answer.read().decode()
                if answer.status != 200 or expected not in body:
                    fail(f"{path} answered {answer.status} without {expected}")
        step("/healthz, /readyz and /metrics answer")

        options = Options()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,960"]:
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 15)

        def shot(name):
            path = os.path.join(OUTPUT, name)
            driver.save_screenshot(path)
            step(f"screenshot {path}")

        def sign_in(user):
            driver.delete_all_cookies()
            driver.get(base + "/login")
            driver.find_element(By.ID, "token").send_keys(tokens[user])
            driver.find_element(By.CSS_SELECTOR, "form.stack button").click()
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "header.top .who")))
            if user not in driver.find_element(By.CSS_SELECTOR, "header.top .who").text.lower().replace(" ", "") and \
                    dict((u, n) for u, n, _, _ in people)[user] not in driver.find_element(By.CSS_SELECTOR, "header.top .who").text:
                fail(f"signed in as someone other than {user}")

        def open_session():
            driver.get(f"{base}/sessions/{SESSION}")
            wait.until(EC.presence_of_element_located((By.ID, f"note-{PATIENT}")))

        def note():
            return driver.find_element(By.ID, f"note-{PATIENT}")

        # The clinician: the session page, a sentence's evidence, an edit.
        sign_in("hcole")
        shot("01-sessions.png")
        open_session()
        notes = driver.find_elements(By.CSS_SELECTOR, "article.note")
        if len(notes) != 4:
            fail(f"expected three attendees' notes and the group note side by side, found {len(notes)}")
        if not driver.find_elements(By.CSS_SELECTOR, ".banner.elevated, .banner.urgent"):
            fail("no risk banner on the session page")
        sign_button = note().find_element(By.CSS_SELECTOR, ".sign button")
        if sign_button.is_enabled():
            fail("the sign button is enabled while a risk flag waits for a supervisor")
        shot("02-session.png")

        sentence = next(s for s in note().find_elements(By.CSS_SELECTOR, ".s") if len(s.get_attribute("data-ev").split()) >= 2)
        cited = sentence.get_attribute("data-ev").split()
        sentence.click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".utt.hl")) == len(cited))
        highlighted = [u.get_attribute("id") for u in driver.find_elements(By.CSS_SELECTOR, ".utt.hl")]
        if sorted(highlighted) != sorted("u" + n for n in cited):
            fail(f"selecting a sentence citing {cited} highlighted {highlighted}")
        if "sel" not in sentence.get_attribute("class"):
            fail("the selected sentence is not marked selected")
        status_text = driver.find_element(By.ID, "evidence-status").text
        if not all(n in status_text for n in cited):
            fail(f"the evidence line says {status_text!r}")
        step(f"a sentence citing utterances {', '.join(cited)} highlighted exactly those")
        driver.execute_script("window.scrollTo(0, 0)")
        shot("03-evidence.png")

        edited = "Client said the week was hard and that her phone had died before curfew."
        section = note().find_element(By.CSS_SELECTOR, "section[data-section]")
        title = section.get_attribute("data-section")
        section.find_element(By.CSS_SELECTOR, "details.edit summary").click()
        area = section.find_element(By.CSS_SELECTOR, "textarea")
        area.clear()
        area.send_keys(edited)
        section.find_element(By.CSS_SELECTOR, "details.edit button").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
        if edited not in note().text or "version 2" not in note().text:
            fail(f"the edited {title} section is not version 2 of the note")
        step(f"edited the {title} section: version 2")
        shot("04-edited.png")

        # The supervisor: the risk queue, then the acknowledgement on the session page.
        sign_in("sup")
        driver.get(base + "/risk")
        if SESSION not in driver.find_element(By.TAG_NAME, "main").text:
            fail("the risk queue does not list the session's flag")
        shot("05-risk-queue.png")
        open_session()
        banner = driver.find_element(By.CSS_SELECTOR, ".banner.elevated, .banner.urgent")
        banner.find_element(By.NAME, "comment").send_keys("Safety plan reviewed with the family; follow-up booked.")
        banner.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
        if driver.find_elements(By.CSS_SELECTOR, ".banner.elevated, .banner.urgent"):
            fail("the risk banner is still up after the acknowledgement")
        step("the supervisor acknowledged the risk flag")
        shot("06-acknowledged.png")

        # The clinician signs.
        sign_in("hcole")
        open_session()
        button = note().find_element(By.CSS_SELECTOR, ".sign button")
        if not button.is_enabled():
            fail("the sign button is still disabled after the acknowledgement")
        button.click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
        if "Signed by hcole" not in note().text:
            fail("the note does not show its signature")
        step("the clinician signed version 2")
        shot("07-signed.png")

        # The biller sees the claim ready.
        sign_in("bill")
        driver.get(base + "/billing")
        ready = driver.find_element(By.ID, "claims-ready")
        if f"{SESSION}-{PATIENT}" not in ready.text:
            fail("the signed note's claim is not listed as ready to bill")
        pending = driver.find_element(By.ID, "claims-pendingSignature")
        if f"{SESSION}-{PATIENT}" in pending.text:
            fail("the signed note's claim is still waiting for a signature")
        step("the biller sees the claim ready")
        shot("08-billing.png")
    finally:
        if driver:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            fail("the server did not stop within 60 s of SIGTERM")
        log.seek(0)
        text = log.read()
        if code != 0 or "[ensemble] stopped" not in text:
            fail(f"the server exited {code} on SIGTERM; see server.log")
        # --log-format json: every log line is one JSON object; requests carry routes, never ids or names.
        entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        requests = [entry for entry in entries if entry.get("message") == "request"]
        if not any(entry.get("route") == "/webhooks/session-completed" and entry.get("status") == 202 for entry in requests):
            fail("the JSON log has no line for the accepted webhook delivery")
        if not any(entry.get("message") == "job" and entry.get("outcome") == "succeeded" for entry in entries):
            fail("the JSON log has no line for the job that succeeded")
        for entry in entries:
            flat = json.dumps(entry)
            if "S-2026" in flat or "Sofia" in flat or "CL-30" in flat:
                fail(f"a log line names the session or a person: {flat[:120]}")
        shutil.rmtree(work, ignore_errors=True)
    step("passed; the server stopped cleanly on SIGTERM")


if __name__ == "__main__":
    main()
