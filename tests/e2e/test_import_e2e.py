"""Browser: upload a ledger, see the dry-run errors, import the good rows, find them in the ledger."""
from playwright.sync_api import expect

from tests.test_import_helpers import sample_row, workbook_bytes


def test_upload_dry_run_import_and_find_in_ledger(page, login, tmp_path):
    path = tmp_path / "西坪村10月台账.xlsx"
    path.write_bytes(workbook_bytes([
        sample_row(申请人姓名="浏览器甲"),
        sample_row(申请人姓名="浏览器乙", 申请人身份证号="6.20521E+17"),
    ], title="西坪村2026年10月矛盾纠纷排查化解台账"))
    login("cun03")
    page.goto("/ledger-io/")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("西坪村10月台账.xlsx")
    bad = page.locator("#row-4")
    expect(bad).to_contain_text("浏览器乙")
    expect(bad.locator("li.error")).to_contain_text("H")
    expect(page.locator("#bad-rows-link")).to_be_visible()
    page.click("#import-progress button[type=submit]")
    expect(page.locator("#import-progress.flash-success")).to_be_visible(timeout=15000)
    page.click("#to-ledger")
    page.wait_for_url("**/disputes/**")
    expect(page.locator("main")).to_contain_text("浏览器甲")
    expect(page.locator("main")).not_to_contain_text("浏览器乙")
