"""The fan's web app, end to end in headless Chromium (WebDriver).

Against a running local stack (BASE_URL; AUTH_MODE=jwt, PAYMENT_PROVIDER=
sandbox, ADMIN_TOKEN): a room that opens in a few seconds, a fan who signs
in, waits, sees the seat map, holds, tops up in the provider's window,
pays, sees the ticket and cancels it; a second fan who sees that seat
taken; and a 60,000-seat date's map, timed. A screenshot of each step goes
to OUT. Prints one line per step and the figures; exits 1 on a failure.
"""

import datetime as dt
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["BASE_URL"]
ADMIN = os.environ["ADMIN_TOKEN"]
OUT = os.environ.get("APP_CHECK_OUT", "target/app-check")
OPENS_IN_SECONDS = 10
shots = []


def admin(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1000",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=ko-KR"):
        o.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    return d


def step(d, name, what):
    path = os.path.join(OUT, f"{len(shots) + 1:02d}-{name}.png")
    d.save_screenshot(path)
    shots.append(path)
    print(f"ok   {len(shots):2d} {what}  ({os.path.basename(path)})", flush=True)


def wait(d, cond, seconds=30, what="condition"):
    try:
        return WebDriverWait(d, seconds, poll_frequency=0.2).until(lambda _: cond())
    except Exception as e:
        d.save_screenshot(os.path.join(OUT, "failed.png"))
        notice = d.execute_script("const n=document.getElementById('notice'); return n && !n.hidden ? n.textContent : ''")
        raise AssertionError(f"waited {seconds}s for {what}; notice: {notice!r}") from e


def text(d, css):
    found = d.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def sign_in(d, user):
    d.get(BASE + "/app/")
    box = wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#who input[name=userId]"), what="sign-in box")[0]
    box.send_keys(user)
    d.find_element(By.CSS_SELECTOR, "#who button[type=submit]").click()
    wait(d, lambda: user in text(d, "#signed-in"), what="signed in")


def join_and_wait(d, concert):
    d.get(f"{BASE}/app/#/concert/{concert}")
    wait(d, lambda: d.find_elements(By.ID, "join"), what="join button").pop().click()
    wait(d, lambda: d.find_elements(By.ID, "waiting") or d.find_elements(By.ID, "schedules"), what="the line")


def click_seat(d, seat_id):
    canvas = d.find_element(By.ID, "seatmap")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    at = d.execute_script("return arguments[0].seatMap.centerOf(arguments[1])", canvas, seat_id)
    size = canvas.size
    ActionChains(d).move_to_element_with_offset(canvas, at["x"] - size["width"] / 2, at["y"] - size["height"] / 2).click().perform()


def seat_free(d, seat_id):
    """Whether the drawn map shows the seat free (None until it is drawn)."""
    return d.execute_script(
        "const c=document.getElementById('seatmap'); return c && c.dataset.readyMs ? c.seatMap.isFree(arguments[0]) : null", seat_id)


def journey():
    os.makedirs(OUT, exist_ok=True)
    opens = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=OPENS_IN_SECONDS)
    admin("PUT", "/admin/concerts/1/room", {"maxActive": 100, "opensAt": opens.isoformat(timespec="milliseconds").replace("+00:00", "Z")})
    layout = json.loads(urllib.request.urlopen(f"{BASE}/concerts/schedules/1/layout").read())
    seat = layout["sections"][0]["firstSeatId"]
    a, b = browser(), browser()
    try:
        sign_in(a, "fan-a")
        step(a, "signed-in", "fan A signs in (development identity provider) and sees the concerts")
        a.get(f"{BASE}/app/#/concert/1")
        wait(a, lambda: "오픈까지" in text(a, "#opens-in"), what="the room's countdown")
        step(a, "room-countdown", "the room's countdown before the opening")
        a.find_element(By.ID, "join").click()
        wait(a, lambda: "오픈까지" in text(a, "#position"), what="pre-queue countdown")
        step(a, "waiting-before-opening", "joined before the opening: no place yet, a countdown")
        sign_in(b, "fan-b")
        join_and_wait(b, 1)
        wait(a, lambda: a.find_elements(By.ID, "schedules"), seconds=OPENS_IN_SECONDS + 30, what="admission")
        step(a, "admitted-dates", "admitted at the opening: the dates on sale")
        a.find_element(By.CSS_SELECTOR, "#schedules a.button").click()
        wait(a, lambda: a.find_elements(By.CSS_SELECTOR, "#seatmap[data-ready-ms]"), what="the seat map")
        step(a, "seat-map", "the seat map: sections, free seats in colour")
        click_seat(a, seat)
        wait(a, lambda: a.find_elements(By.CSS_SELECTOR, "#holds .hold .timer"), what="the hold")
        step(a, "hold-timer", "a seat held, its timer running")

        wait(b, lambda: b.find_elements(By.ID, "schedules"), seconds=30, what="fan B admitted")
        b.find_element(By.CSS_SELECTOR, "#schedules a.button").click()
        wait(b, lambda: seat_free(b, seat) is False, seconds=20, what="fan B seeing the seat taken")
        step(b, "second-fan-sees-taken", "fan B's map shows that seat taken")
        click_seat(b, seat)
        wait(b, lambda: "선택할 수 없는" in text(b, "#notice"), what="refusal on a taken seat")

        a.get(f"{BASE}/app/#/points")
        wait(a, lambda: a.find_elements(By.ID, "balance"), what="points page")
        a.find_element(By.CSS_SELECTOR, "input[name=amount]").send_keys("200000")
        a.find_element(By.XPATH, "//button[text()='카드로 충전']").click()
        wait(a, lambda: "/sandbox/toss/checkout" in a.current_url, what="the provider's window")
        step(a, "provider-window", "the provider's payment window (sandbox)")
        a.find_element(By.XPATH, "//button[@value='pay']").click()
        wait(a, lambda: "충전되었습니다" in text(a, "#notice"), what="confirmed top-up")
        a.get(f"{BASE}/app/#/points")
        wait(a, lambda: "200,000P" in text(a, "#balance"), what="the balance")
        step(a, "topped-up", "back from the window: confirmed, balance and history")

        a.get(f"{BASE}/app/#/seats/1/1")
        wait(a, lambda: a.find_elements(By.CSS_SELECTOR, "#holds .hold button.pay"), what="the hold again")
        a.find_element(By.CSS_SELECTOR, "#holds .hold button.pay").click()
        wait(a, lambda: "결제가 완료" in text(a, "#notice"), what="payment")
        # Paying the fan's last hold ends the token (SPEC §7): the map stops
        # and offers to join again.
        wait(a, lambda: a.find_elements(By.ID, "token-over"), seconds=10, what="the token ended by the payment")
        step(a, "paid", "the hold paid; the token ends with it and the map offers to join again")
        a.get(f"{BASE}/app/#/tickets")
        wait(a, lambda: "예매 완료" in text(a, "#tickets"), what="the ticket")
        step(a, "ticket", "my tickets: the ticket")
        a.find_element(By.CSS_SELECTOR, "#tickets button.cancel").click()
        wait(a, lambda: "환불되었습니다" in text(a, "#notice"), what="refund")
        wait(a, lambda: "취소" in text(a, "#tickets tr[data-reserve] .status"), what="cancelled status")
        step(a, "cancelled", "the ticket cancelled and refunded to points")
        wait(b, lambda: seat_free(b, seat) is True, seconds=20, what="fan B seeing the seat free again")
        step(b, "seat-back", "fan B's map shows the seat free again")
        b.set_window_size(390, 844)
        b.refresh()
        wait(b, lambda: b.find_elements(By.CSS_SELECTOR, "#seatmap[data-ready-ms]"), what="the map on a phone")
        width = b.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        step(b, "phone-seat-map", "the seat map on a phone's width (390 px), no sideways scrolling")

        a.get(f"{BASE}/app/#/points")
        wait(a, lambda: a.find_elements(By.ID, "balance"), what="points page")
        a.find_elements(By.CSS_SELECTOR, "input[name=amount]")[1].send_keys("100000")
        a.find_element(By.XPATH, "//button[text()='환불 요청']").click()
        wait(a, lambda: "카드로 환불되었습니다" in text(a, "#notice"), what="withdrawal")
        a.get(f"{BASE}/app/#/points")
        wait(a, lambda: "100,000P" in text(a, "#balance"), what="the balance after the withdrawal")
        wait(a, lambda: len(a.find_elements(By.CSS_SELECTOR, "#history tr")) == 4, what="the history's four entries")
        assert not a.find_element(By.CSS_SELECTOR, "#history button.more").is_displayed(), "a 'more' button on the only page"
        step(a, "withdrawn", "100,000 points back to the card: balance and history")
        big_map(a)
    finally:
        a.quit()
        b.quit()


def big_map(d):
    """A 60,000-seat date: how long until its map is usable."""
    concert = admin("POST", "/admin/concerts", {"title": "스타디움 공연", "startDate": "2027-06-01", "endDate": "2027-06-01"})
    sections = [{"name": n, "rows": 50, "seatsPerRow": 300, "price": p}
                for n, p in (("R", 150000), ("S", 120000), ("A", 90000), ("B", 60000))]
    s = admin("POST", f"/admin/concerts/{concert['id']}/schedules", {"date": "2027-06-01", "sections": sections})
    for _ in range(600):
        if admin("GET", f"/admin/schedules/{s['scheduleId']}/report")["status"] == "READY":
            break
        time.sleep(0.5)
    join_and_wait(d, concert["id"])
    wait(d, lambda: d.find_elements(By.ID, "schedules"), seconds=30, what="admitted to the stadium date")
    started = time.monotonic()
    d.get(f"{BASE}/app/#/seats/{concert['id']}/{s['scheduleId']}")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#seatmap[data-ready-ms]"), seconds=60, what="the 60,000-seat map")
    wall = time.monotonic() - started
    ready = int(d.find_element(By.ID, "seatmap").get_attribute("data-ready-ms"))
    free = int(d.find_element(By.ID, "seatmap").get_attribute("data-free"))
    assert free == 60000, free
    step(d, "stadium-map", f"a 60,000-seat map usable: {ready} ms in the page ({wall:.2f} s from navigation)")
    weight = sum(os.path.getsize(os.path.join("web", f)) for f in os.listdir("web") if not f.startswith("."))
    print(f"figures: page weight {weight / 1024:.1f} KB (uncompressed, {len(os.listdir('web'))} files); "
          f"60,000-seat map usable in {ready} ms after the page asked ({wall:.2f} s from navigation)")


if __name__ == "__main__":
    try:
        journey()
    except Exception as e:
        print(f"FAIL {e}", flush=True)
        sys.exit(1)
    print(f"app-check: {len(shots)} steps passed; screenshots in {OUT}")
