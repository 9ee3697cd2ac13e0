"""The dashboard in a real browser (headless Chromium through Selenium).

Starts `gradscope serve` on a free port with a fresh data directory, opens
the page as a user would and checks what they see: a preset launches a job
that appears in the list, the heatmap and histograms get drawn (non-blank
canvas pixels), the verdict is right for an exploding and a vanishing
preset, a remedy button starts a comparison, a PyTorch run watched with the
Python client shows live with its verdict and reads as well as an engine job
(remedies named, with their PyTorch change; its first layer; its declared
activations; whole distinct steps on its axes), and the browser console shows
no errors. Screenshots go to Tests/Browser/screenshots/ (not committed).

    python3 -m pytest Tests/Browser -q
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "Tests", "Browser", "screenshots")
BINARY = os.environ.get("GRADSCOPE_BIN", os.path.join(ROOT, ".build", "debug", "gradscope"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp(prefix="gradscope-browser-")
    port = free_port()
    proc = subprocess.Popen([BINARY, "serve", "--port", str(port), "--data-dir", data,
                             "--public-dir", os.path.join(ROOT, "public")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def canvas_ink(driver, selector):
    """The share of pixels of a canvas that are not transparent or the top-left colour."""
    return driver.execute_script("""
        const c = document.querySelector(arguments[0]);
        if (!c || !c.width || !c.height) return 0;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] !== 0 && (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2])) ink++;
        }
        return ink / (d.length / 4);
    """, selector)


def console_errors(driver, expected_400=False):
    """Errors in the browser's console; the browser also logs an HTTP 400
    that the page expected (a bad spec), which is left out when asked."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and not (expected_400 and e.get("source") == "network" and "status of 400" in e["message"])]


def run_preset(driver, url, name, verdicts, shot):
    driver.get(url + "/")
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#presets [data-preset="{name}"]'))
    driver.find_element(By.CSS_SELECTOR, f'#presets [data-preset="{name}"]').click()
    wait.until(lambda d: "#job=" in d.current_url)
    job = driver.current_url.split("#job=")[1]
    wait.until(lambda d: job in d.find_element(By.ID, "job-list").text)
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.strip().lower() in verdicts)
    time.sleep(0.5)  # let the last animation frame draw
    os.makedirs(SHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SHOTS, shot))
    return job


def test_exploding_preset_shows_the_explosion_and_a_remedy_that_runs(server, browser):
    run_preset(browser, server, "exploding-relu", {"diverged", "exploding"}, "exploding.png")
    assert canvas_ink(browser, "#heatmap") > 0.05
    assert canvas_ink(browser, "#histogram") > 0.01
    assert canvas_ink(browser, "#norm-chart") > 0.005
    assert browser.find_element(By.ID, "alerts").text.strip() != ""
    remedies = browser.find_elements(By.CSS_SELECTOR, "#remedies [data-remedy]")
    assert len(remedies) >= 2, "the report offers remedies"
    # BatchNorm is the remedy that trains this net (gradscope compare finds it too).
    browser.find_element(By.CSS_SELECTOR, '#remedies [data-remedy="batchnorm"]').click()
    WebDriverWait(browser, 300).until(lambda d: "completed" in d.find_element(By.ID, "comparison").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "#comparison tr.trial")
    assert [r.text.split()[0] for r in rows] == ["original", "batchnorm"]
    assert "yes" in rows[1].text and "healthy" in rows[1].text
    time.sleep(0.5)
    assert canvas_ink(browser, "#comparison-chart") > 0.005
    browser.save_screenshot(os.path.join(SHOTS, "exploding-remedy.png"))
    assert console_errors(browser) == []


def test_vanishing_preset_is_named_vanishing(server, browser):
    run_preset(browser, server, "vanishing-sigmoid", {"vanishing"}, "vanishing.png")
    assert canvas_ink(browser, "#heatmap") > 0.05
    assert console_errors(browser) == []


def test_healthy_preset_and_the_editor_reports_errors_next_to_the_field(server, browser):
    run_preset(browser, server, "healthy", {"healthy"}, "healthy.png")
    editor = browser.find_element(By.ID, "spec-editor")
    editor.clear()
    editor.send_keys(json.dumps({"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8},
                                 "optimizer": {"type": "sgd", "lr": -1}}))
    browser.find_element(By.ID, "run-spec").click()
    WebDriverWait(browser, 10).until(lambda d: "optimizer.lr" in d.find_element(By.ID, "spec-error").text)
    assert console_errors(browser, expected_400=True) == []


def test_recurrent_run_shows_the_gradient_through_time(server, browser):
    """A plain RNN on the adding problem: the profile card appears beside the
    heatmap, the verdict says vanishing, and the LSTM remedy repairs it (in 4
    epochs the LSTM learns; a remedy works only when its trial learns)."""
    browser.get(server + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#presets [data-preset]"))
    editor = browser.find_element(By.ID, "spec-editor")
    editor.clear()
    editor.send_keys(json.dumps({
        "name": "rnn through time", "seed": 1,
        "data": {"source": "adding", "samples": 1024, "sequence_length": 30},
        "layers": [{"type": "rnn", "name": "rnn", "hidden": 32}, {"type": "dense", "name": "head", "units": 1}],
        "optimizer": {"type": "adam", "lr": 0.002},
        "training": {"epochs": 4, "batch_size": 32}, "diagnostics": {"every": 2}}))
    browser.find_element(By.ID, "run-spec").click()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.strip().lower() == "vanishing")
    time.sleep(0.5)
    card = browser.find_element(By.ID, "profile-card")
    assert card.is_displayed()
    assert "wide" not in browser.find_element(By.ID, "heat-card").get_attribute("class")
    assert canvas_ink(browser, "#time-profile") > 0.005
    caption = browser.find_element(By.ID, "profile-caption").text
    assert "σ₁(W_hh)" in caption and "rnn" in caption
    assert "through time" in browser.find_element(By.ID, "evidence").text
    browser.save_screenshot(os.path.join(SHOTS, "rnn-vanishing.png"))
    browser.find_element(By.CSS_SELECTOR, '#remedies [data-remedy="lstm"]').click()
    WebDriverWait(browser, 300).until(lambda d: "completed" in d.find_element(By.ID, "comparison").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "#comparison tr.trial")
    assert [r.text.split()[0] for r in rows] == ["original", "lstm"]
    assert "yes" in rows[1].text and "healthy" in rows[1].text
    browser.save_screenshot(os.path.join(SHOTS, "rnn-lstm-remedy.png"))
    assert console_errors(browser) == []


def train_watched(torch, model, opt, x, y, run, steps, pause=0.0):
    """`steps` training steps of the watched model, each logged."""
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log(loss)
        time.sleep(pause)


def exploding_pytorch_run():
    """12 Linear+ReLU layers drawn with std 0.4 on 128×16 random data: with
    SGD at lr 1e-4 the loss passes 1e5 by the second step (as in
    clients/python/tests/test_watch.py). Returns (torch, gradscope, model,
    optimizer, x, y)."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
    import torch
    import gradscope
    torch.manual_seed(0)
    layers, width = [], 16
    for _ in range(12):
        layers += [torch.nn.Linear(width, 64), torch.nn.ReLU()]
        width = 64
    model = torch.nn.Sequential(*layers, torch.nn.Linear(64, 2))
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, std=0.4)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    x = torch.randn(128, 16)
    y = (x[:, 0] > 0).long()
    return torch, gradscope, model, opt, x, y


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def drawn_axis_labels(driver, canvas_id):
    """The labels a canvas's x axis was drawn with on its last redraw:
    fillText is wrapped (each draw starts by clearing the canvas, which
    forgets the texts of the draw before), the window resized (which redraws
    every canvas), and the texts drawn with a top baseline on the canvas's
    lowest line are its x axis."""
    driver.execute_script("""
        window.drawnTexts = [];
        if (window.drawnTextsWrapped) return;
        window.drawnTextsWrapped = true;
        const proto = CanvasRenderingContext2D.prototype, fillText = proto.fillText, clearRect = proto.clearRect;
        proto.clearRect = function () {
            window.drawnTexts = window.drawnTexts.filter((t) => t.canvas !== this.canvas.id);
            return clearRect.apply(this, arguments);
        };
        proto.fillText = function (text, x, y) {
            window.drawnTexts.push({ canvas: this.canvas.id, text: String(text), y, baseline: this.textBaseline });
            return fillText.apply(this, arguments);
        };
    """)
    size = driver.get_window_size()
    driver.set_window_size(size["width"] - 40, size["height"])
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "return window.drawnTexts.some((t) => t.canvas === arguments[0])", canvas_id))
    texts = [t for t in driver.execute_script("return window.drawnTexts") if t["canvas"] == canvas_id and t["baseline"] == "top"]
    bottom = max(t["y"] for t in texts)
    driver.set_window_size(size["width"], size["height"])
    return [t["text"] for t in texts if t["y"] == bottom]


def test_a_watched_pytorch_run_shows_live_with_its_verdict(server, browser):
    """The README's "Watch your own PyTorch run": a PyTorch model made to
    explode, watched with the Python client; the dashboard shows the run
    while it trains, then its verdict and remedies (without Try buttons)."""
    torch, gradscope, model, opt, x, y = exploding_pytorch_run()
    run = gradscope.watch(model, url=server, run_name="my pytorch run", optimizer=opt)
    browser.get(f"{server}/#job={run.id}")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: "my pytorch run" in d.find_element(By.ID, "job-list").text)
    train_watched(torch, model, opt, x, y, run, 60, pause=0.02)
    run.close()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.strip().lower() in {"exploding", "diverged"})
    time.sleep(0.5)
    assert canvas_ink(browser, "#heatmap") > 0.05
    remedies = browser.find_elements(By.CSS_SELECTOR, "#remedies li")
    assert remedies and not browser.find_elements(By.CSS_SELECTOR, "#remedies button")
    browser.save_screenshot(os.path.join(SHOTS, "pytorch-run.png"))
    assert console_errors(browser) == []


def test_an_external_run_says_what_its_client_could_not_send(server, browser):
    """A run posted over plain HTTP (as any producer may) whose client
    dropped steps: the dashboard says so next to the job's status."""
    def post(path, body, token=None):
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(server + path, data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())
    run = post("/api/runs", json.dumps({"name": "posted by hand", "layers": [{"name": "fc", "kind": "dense"}]}))
    steps = "\n".join(json.dumps({"step": s, "loss": 1.0 / s, "layers": [{"name": "fc", "grad_norm": 0.1}]}) for s in range(1, 6))
    assert post(f"/api/runs/{run['id']}/steps", steps, run["token"])["accepted"] == 5
    post(f"/api/runs/{run['id']}/finish", json.dumps({"dropped": 3}), run["token"])
    browser.get(f"{server}/#job={run['id']}")
    WebDriverWait(browser, 30).until(lambda d: "3 measured steps never arrived" in d.find_element(By.ID, "job-note").text)
    assert browser.find_element(By.ID, "job-status").text == "completed"
    assert console_errors(browser) == []


def test_a_watched_run_reads_as_well_as_an_engine_job(server, browser):
    """A short diverged run watched with the Python client, opened in the
    dashboard: every remedy shows its name and reason and the change to make
    in PyTorch; the first layer shows with its class and is the one outlined
    on the heatmap; the ReLUs the client declared are named, not denied; the
    step axes have distinct whole steps though the run has fewer steps than
    room for ticks; no evidence claims a step 0."""
    torch, gradscope, model, opt, x, y = exploding_pytorch_run()
    with gradscope.watch(model, url=server, run_name="watched short run", optimizer=opt) as run:
        train_watched(torch, model, opt, x, y, run, 6)
    report = get_json(f"{server}/api/jobs/{run.id}/report")
    assert report["verdict"] in {"exploding", "diverged"} and report["remedies"], report
    browser.get(f"{server}/#job={run.id}")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.strip().lower() == report["verdict"])
    wait.until(lambda d: "ReLU" in d.find_element(By.ID, "act-chart").get_attribute("aria-label"))
    time.sleep(0.5)  # let the last animation frame draw
    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, "pytorch-short-run.png"))

    items = browser.find_elements(By.CSS_SELECTOR, "#remedies li")
    assert [li.get_attribute("data-name") for li in items] == [r["name"] for r in report["remedies"]]
    for li, remedy in zip(items, report["remedies"]):
        name = li.find_element(By.CSS_SELECTOR, "strong")
        assert name.text == remedy["name"] and name.size["width"] > 0, f"{remedy['name']} is not shown"
        assert li.find_element(By.TAG_NAME, "p").text.strip(), f"{remedy['name']} has no reason shown"
        if remedy.get("pytorch"):
            assert li.find_element(By.CSS_SELECTOR, "code.pytorch").text == remedy["pytorch"]
    assert not browser.find_elements(By.CSS_SELECTOR, "#remedies button"), "an external run has no spec to re-run"

    details = browser.find_element(By.ID, "verdict-details").text
    assert "(Linear)" in details and report["first_layer"] in details, details
    assert f"first layer, {report['first_layer']}, is outlined" in browser.find_element(By.ID, "heatmap").get_attribute("aria-label")
    activations = browser.find_element(By.ID, "act-chart").get_attribute("aria-label")
    assert "no ReLU" not in activations, activations
    assert "step 0" not in browser.find_element(By.ID, "evidence").text

    for canvas in ("heatmap", "loss-chart"):
        ticks = drawn_axis_labels(browser, canvas)
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), f"{canvas}: {ticks}"
        assert all(t.isdigit() and 1 <= int(t) <= 6 for t in ticks), f"{canvas}: {ticks}"
    assert console_errors(browser) == []
