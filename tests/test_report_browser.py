"""The reports as people see them: the HTML in real headless Chromium, the PDF rendered by pdfium.

Chromium is Debian's ``/usr/bin/chromium`` (no Playwright browser download). When it is missing
these tests FAIL with a message saying how to install it (``.ci/run`` does it): a report that was
never opened in a browser is not tested.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backanalytics import columns as C
from backanalytics.report.batch import build_reports

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reports(sample_log, tmp_path_factory) -> Path:
    """Real reports (real charts) for three clients, one note carrying a script injection."""
    log = sample_log[sample_log[C.CLIENT_ID].isin(["anna", "grace", "hugo"])].copy()
    last = log.index[log[C.CLIENT_ID] == "hugo"][-1]
    log.loc[last, C.NOTES] = XSS
    out = tmp_path_factory.mktemp("reports")
    build_reports(log.reset_index(drop=True), out, formats=("html", "pdf"), progress=False)
    return out


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium, or run .ci/run) "
                    "to run the browser tests", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_report(browser, path: Path, width: int = 1100):
    """Open a report; return the page, its console errors and every URL it requested."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, requests


def assert_rendered(page, errors: list[str], requests: list[str], path: Path) -> None:
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
    assert images and all(done and w > 0 and h > 0 for done, w, h in images), images
    boxes = page.eval_on_selector_all("svg", "els => els.map(e => e.getBoundingClientRect().width * "
                                             "e.getBoundingClientRect().height)")
    assert all(area > 0 for area in boxes)
    shown = page.eval_on_selector_all("figure img", "els => els.map(e => e.getBoundingClientRect().width)")
    assert all(w > 300 for w in shown), shown  # charts are not squashed
    assert errors == []
    # The file itself; data: images do not count as requests to anywhere.
    assert [u for u in requests if not u.startswith("data:")] == [path.as_uri()]


def test_client_report_renders_in_chromium(browser, reports):
    path = reports / "client_hugo.html"
    page, errors, requests = open_report(browser, path)
    assert page.title() == "Stretching progress report: hugo"
    assert page.locator("h1").inner_text() == "Stretching progress report"
    assert_rendered(page, errors, requests, path)
    assert page.locator("figure img").count() == 6  # progress, weekly, calendar, relief, mix, phases
    assert "Before and after you started stretching" in page.locator("h2").all_inner_texts()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "client_report.png"), full_page=True)
    page.close()


def test_note_with_script_shows_as_text_and_never_runs(browser, reports):
    page, errors, _ = open_report(browser, reports / "client_hugo.html")
    assert page.locator("script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert XSS in page.locator(".notes").inner_text()
    source = (reports / "client_hugo.html").read_text()
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in source
    assert errors == []
    page.close()


def test_caseload_report_renders_in_chromium(browser, reports):
    path = reports / "caseload.html"
    page, errors, requests = open_report(browser, path, width=1400)
    assert page.title() == "Caseload report"
    assert_rendered(page, errors, requests, path)
    first = page.locator("table.caseload tbody tr").first
    assert first.get_attribute("class") == "alert" and "grace" in first.inner_text()
    href = first.locator("a").get_attribute("href")
    assert href == "client_grace.html" and (reports / href).exists()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "caseload_report.png"), full_page=True)
    page.close()


@pytest.mark.parametrize(("name", "words"), [("client_hugo.pdf", ["hugo", "Adherence", "Stretching progress report"]),
                                             ("caseload.pdf", ["Caseload report", "grace", "anna"])])
def test_pdf_first_page_has_the_report_text(reports, name, words):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(reports / name)
    assert len(pdf) > 0
    first = pdf[0]
    text = first.get_textpage().get_text_range()
    for word in words:
        assert word in text, (word, text[:500])
    image = first.render(scale=1.2).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / f"{Path(name).stem}_page1.png")
    # Not a blank page: a good share of pixels are not white.
    grey = image.convert("L")
    dark = sum(grey.histogram()[:200])
    assert dark > 0.01 * grey.width * grey.height


def test_pdf_has_every_chart(reports):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(reports / "client_hugo.pdf")
    images = sum(1 for page in pdf for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert images == 6


def content_bottom(page) -> float:
    """How far down the page (0-1) its content reaches, leaving out the running footer."""
    grey = page.render(scale=0.5).to_pil().convert("L")
    width, height = grey.size
    footer = int(height * 0.93)
    pixels = grey.load()
    for y in range(footer - 1, 0, -1):
        if any(pixels[x, y] < 200 for x in range(0, width, 2)):
            return y / height
    return 0.0


@pytest.mark.parametrize("name", ["client_hugo.pdf", "client_grace.pdf", "client_anna.pdf"])
def test_pdf_pages_are_filled_no_chart_leaves_half_a_page_blank(reports, name):
    # (The caseload report's table page may end early: its overview chart fills the next page.)
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(reports / name)
    bottoms = [content_bottom(pdf[i]) for i in range(len(pdf) - 1)]  # the last page may end early
    assert all(b > 0.7 for b in bottoms), bottoms


def test_caseload_pdf_keeps_the_overview_heading_with_its_chart(reports):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(reports / "caseload.pdf")
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    heading = next(i for i, t in enumerate(texts) if "Overview" in t.splitlines())
    assert "Caseload overview" in texts[heading]  # the chart's caption: the chart is on the heading's page


def test_pdftoppm_renders_the_pdf_when_available(reports, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install poppler-utils (or run .ci/run)", pytrace=False)
    import subprocess

    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(reports / "caseload.pdf"),
                    str(tmp_path / "p")], check=True, timeout=60)
    assert list(tmp_path.glob("p*.png"))


def test_reports_have_no_http_urls(reports):
    for path in reports.iterdir():
        data = path.read_bytes()
        assert b"http://" not in data and b"https://" not in data, path.name
