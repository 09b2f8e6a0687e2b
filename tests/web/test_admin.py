"""Documents admin: status list, upload with limits, admin token (header or login cookie)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web.app import create_app
from web.routes.admin import safe_name

TXT = "Socialnämnden\nProtokoll 2024-03-01\n\n§ 5 Avgifter\nDnr SN 2024/5\n\nNämnden beslutar att godkänna avgifterna.\n"


def test_admin_lists_documents_with_title_metadata_and_delete(client, assistant):
    html = client.get("/admin").text
    assert "bara öppen från den här datorn" in html, "without a token the page says who may use it"
    for doc, n_sections, _, _ in assistant.documents():
        row = html.split(f'href="/dokument/{doc.id}"')[1].split("</tr>")[0]
        assert f">{doc.titel or doc.fil}</a>" in row
        assert f"<td>{doc.kommun or '–'}</td>" in row and f"<td>{doc.namnd or '–'}</td>" in row
        assert f"<td>{doc.n_pages or '–'}</td>" in row and f"<td>{n_sections}</td>" in row
        assert f'action="/admin/dokument/{doc.id}/ta-bort"' in row and "hx-confirm=" in row


def result_row(html: str, name: str) -> str:
    """The results table's row for one uploaded file."""
    return html.split(f'<th scope="row">{name}</th>')[1].split("</tr>")[0]


def test_admin_shows_flagged_pages(fresh, fresh_client, tmp_path):
    from grund.records import PageIssue

    path = tmp_path / "protokoll.txt"
    path.write_text(TXT, encoding="utf-8")
    from ingest.pipeline import ingest_paths

    ingest_paths([path], fresh.settings, progress=False, store=fresh.store)
    doc = fresh.documents()[0][0]
    flagged = doc.model_copy(update={"issues": [PageIssue(page=3, status="skipped", note="ingen text")]})
    fresh.documents = lambda: [(flagged, 1, 1, "2024-01-01T10:00")]
    assert "s. 3: överhoppad – ingen text" in fresh_client.get("/admin").text


def test_upload_ingests_files(fresh, fresh_client):
    files = [
        ("filer", ("Protokoll SN 2024-03-01.txt", TXT.encode(), "text/plain")),
        ("filer", ("andra.md", b"# Riktlinje\n\nNamnden ska svara inom tva veckor.\n", "text/markdown")),
    ]
    response = fresh_client.post("/admin/ladda-upp", files=files)
    assert response.status_code == 200, response.text
    assert "Inläsningen är klar" in response.text
    stored = [d.fil for d, *_ in fresh.documents()]
    assert len(stored) == 2 and any(f.endswith("-Protokoll_SN_2024-03-01.txt") for f in stored)
    assert all((fresh.settings.data_dir / "uploads" / f).is_file() for f in stored)


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "virus.exe",
            b"MZ",
            "Filtypen stöds inte. Tillåtna filtyper: PDF, DOCX, HTML, HTM, TXT, MD.",
        ),
        ("tom.txt", b"", "Filen är tom."),
        ("stor.txt", b"x" * 20_000, "Filen är större än 0.01 MB och laddades inte upp."),
    ],
)
def test_upload_refuses_bad_files_with_clear_swedish_errors(fresh, fresh_client, name, content, message):
    fresh.settings.web.max_upload_mb = 0.01
    response = fresh_client.post(
        "/admin/ladda-upp", files=[("filer", (name, content, "application/octet-stream"))]
    )
    assert response.status_code == 400
    assert "Ingen fil kunde läsas in" in response.text
    assert f"Kunde inte läsas in: {message}" in result_row(response.text, name)
    assert fresh.documents() == []


def test_upload_reports_a_file_that_cannot_be_read(fresh, fresh_client):
    response = fresh_client.post(
        "/admin/ladda-upp", files=[("filer", ("trasig.pdf", b"%PDF-1.4 inte alls", "application/pdf"))]
    )
    assert response.status_code == 400
    row = result_row(response.text, "trasig.pdf")
    assert "Kunde inte läsas in: " in row and fresh.documents() == []
    assert response.text.count("trasig.pdf") == 1, "each failure listed once"
    assert str(fresh.settings.data_dir) not in response.text and "/uploads/" not in response.text


@pytest.mark.parametrize(
    "given, safe",
    [
        ("Protokoll §5 (1).pdf", "Protokoll_5_1_.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("Nämnd åäö.docx", "Namnd_aao.docx"),
        ("....", "fil"),
        (".htaccess", "htaccess"),
    ],
)
def test_safe_name_keeps_only_a_clean_basename(given, safe):
    assert safe_name(given) == safe


@pytest.fixture
def locked(fresh):
    fresh.settings.web.admin_token = "hemlig-nyckel"
    return TestClient(create_app(assistant=fresh))


@pytest.mark.parametrize("method, path", [("get", "/admin"), ("post", "/admin/ladda-upp")])
def test_admin_token_required_when_set(locked, method, path):
    kwargs = {"files": [("filer", ("a.txt", TXT.encode(), "text/plain"))]} if method == "post" else {}
    response = getattr(locked, method)(path, **kwargs)
    assert response.status_code == 401
    assert 'name="token"' in response.text and "administratörsbehörighet" in response.text


@pytest.mark.parametrize("token, status", [("hemlig-nyckel", 200), ("fel", 401), ("", 401)])
def test_admin_token_header(locked, token, status):
    assert locked.get("/admin", headers={"X-Admin-Token": token}).status_code == status


def test_login_form_sets_a_cookie_and_logout_removes_it(locked):
    wrong = locked.post("/admin/logga-in", data={"token": "fel"})
    assert wrong.status_code == 401 and "Fel administratörsnyckel" in wrong.text
    response = locked.post("/admin/logga-in", data={"token": "hemlig-nyckel"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    assert "hemlig-nyckel" not in response.headers["set-cookie"]
    assert locked.get("/admin").status_code == 200
    locked.post("/admin/logga-ut")
    assert locked.get("/admin").status_code == 401


def test_rejected_upload_is_not_kept(fresh, fresh_client):
    files = [
        ("filer", ("trasig.pdf", b"%PDF-1.4 inte en pdf", "application/pdf")),
        ("filer", ("ok.txt", TXT.encode(), "text/plain")),
    ]
    response = fresh_client.post("/admin/ladda-upp", files=files)
    assert response.status_code == 200 and "1 av 2 filer kunde inte läsas in" in response.text
    assert "Kunde inte läsas in" in result_row(response.text, "trasig.pdf")
    assert "Inläst" in result_row(response.text, "ok.txt") and "Alla filer kunde inte" not in response.text
    kept = sorted(p.name.split("-", 1)[1] for p in (fresh.settings.data_dir / "uploads").iterdir())
    assert kept == ["ok.txt"]


def test_delete_asks_first_then_removes_the_document_from_every_index(fresh, fresh_client):
    other = b"# Riktlinje\n\nNamnden ska svara inom tva veckor.\n"
    files = [
        ("filer", ("protokoll.txt", TXT.encode(), "text/plain")),
        ("filer", ("riktlinje.md", other, "text/markdown")),
    ]
    assert fresh_client.post("/admin/ladda-upp", files=files).status_code == 200
    doc = next(d for d, *_ in fresh.documents() if d.fil.endswith("protokoll.txt"))
    chunk_ids = [c.id for s in fresh.store.sections_of(doc.id) for c in fresh.store.chunks_of_section(s.id)]
    original = fresh.store.original_file(doc)
    assert chunk_ids and original is not None
    asked = fresh_client.post(f"/admin/dokument/{doc.id}/ta-bort")  # without JavaScript: a confirmation page
    assert (
        asked.status_code == 200 and "Ta bort dokumentet?" in asked.text and fresh.store.has_document(doc.id)
    )
    done = fresh_client.post(f"/admin/dokument/{doc.id}/ta-bort", data={"bekraftat": "ja"})
    assert done.status_code == 200 and "Dokumentet är borttaget" in done.text
    assert not fresh.store.has_document(doc.id) and fresh.store.sections_of(doc.id) == []
    assert fresh.store.collection.get(ids=chunk_ids)["ids"] == [], "gone from Chroma"
    assert not set(chunk_ids) & set(fresh.store.lexical().ids), "gone from BM25"
    assert not original.exists() and [p.name for p in (fresh.settings.data_dir / "uploads").iterdir()][
        0
    ].endswith("riktlinje.md")
    assert [d.fil for d, *_ in fresh.documents()][0].endswith("riktlinje.md"), "the other document stays"
    assert fresh_client.post(f"/admin/dokument/{doc.id}/ta-bort", data={"bekraftat": "ja"}).status_code == 404


def test_upload_while_another_ingest_runs_is_refused_and_leaves_nothing(fresh, fresh_client):
    from ingest.lock import write_lock

    fresh.settings.ingest.lock_wait_s = 0.2
    with write_lock(fresh.settings, "en annan inläsning"):  # the endpoint runs in another thread
        response = fresh_client.post(
            "/admin/ladda-upp", files=[("filer", ("a.txt", TXT.encode(), "text/plain"))]
        )
    assert response.status_code == 503 and "Arkivet skrivs redan" in response.text
    assert fresh.documents() == [] and not list((fresh.settings.data_dir / "uploads").iterdir())


def test_login_is_rate_limited_per_client(locked):
    for _ in range(5):
        assert locked.post("/admin/logga-in", data={"token": "fel"}).status_code == 401
    blocked = locked.post(
        "/admin/logga-in", data={"token": "hemlig-nyckel"}
    )  # even the right one, for a minute
    assert (
        blocked.status_code == 429 and "För många" in blocked.text and blocked.headers["retry-after"] == "60"
    )


def test_session_cookie_is_random_expires_and_logout_revokes_it(locked):
    first = locked.post("/admin/logga-in", data={"token": "hemlig-nyckel"}, follow_redirects=False)
    cookie = locked.cookies.get("namnd_admin")
    assert "max-age=28800" in first.headers["set-cookie"].lower()
    locked.post("/admin/logga-ut")
    locked.cookies.clear()
    locked.post("/admin/logga-in", data={"token": "hemlig-nyckel"})
    assert locked.cookies.get("namnd_admin") != cookie  # a new session, not a fixed hash of the token
    stolen = TestClient(locked.app, cookies={"namnd_admin": cookie})
    assert stolen.get("/admin").status_code == 401  # the logged-out session stays dead


def test_a_session_is_valid_in_every_worker_process(fresh):
    """`assistent serve --workers N`: each worker builds its own app over the same data directory."""
    fresh.settings.web.admin_token = "hemlig-nyckel"
    worker_a = TestClient(create_app(assistant=fresh))
    worker_b = TestClient(create_app(assistant=fresh))
    worker_a.post("/admin/logga-in", data={"token": "hemlig-nyckel"})
    cookie = worker_a.cookies.get("namnd_admin")
    assert TestClient(worker_b.app, cookies={"namnd_admin": cookie}).get("/admin").status_code == 200
    worker_b.cookies.set("namnd_admin", cookie)
    worker_b.post("/admin/logga-ut")
    assert TestClient(worker_a.app, cookies={"namnd_admin": cookie}).get("/admin").status_code == 401
