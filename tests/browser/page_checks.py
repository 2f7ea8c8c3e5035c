"""Checks run inside a page, for the journeys in other languages and directions (Arabic,
Japanese). Each returns what is wrong, as short readable strings; an empty list is a pass.

Steps that use them find controls by structure (ids, data attributes), not by their English
names: the catalogs are being translated, and the journeys must pass before and after."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

# Wider than the screen: the page itself scrolls sideways. (A grid scrolls inside its own box,
# which is not the page's width.)
PAGE_OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"

# Elements with text of their own reaching past either edge of the screen (right to left,
# what overflows goes off the left edge). Scrolling grids and hidden text are meant to.
OFF_SCREEN = """width => {
  const skip = ".grid-scroll, .visually-hidden, .skip-link, select, option, script, style";
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(skip)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.display === "none" || style.visibility === "hidden") continue;
    const box = el.getBoundingClientRect();
    if (box.width && (box.left < -1 || box.right > width + 1)) {
      bad.push(el.tagName.toLowerCase() + "." + el.className + ": " +
        el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60));
    }
  }
  return bad;
}"""

# A visible button whose text is wider than the button.
BUTTONS_OVERFLOWING = """() => [...document.querySelectorAll("button, .button, [role=button]")]
  .filter(el => el.getClientRects().length && !el.closest(".visually-hidden"))
  .filter(el => getComputedStyle(el).visibility !== "hidden")
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60) +
    " (" + el.scrollWidth + " > " + el.clientWidth + ")")"""

# Rules that cut words anywhere: none may apply to a page's text.
BREAK_ANYWHERE = """() => [...document.querySelectorAll("body, body *")]
  .filter(el => {
    const style = getComputedStyle(el);
    return style.wordBreak === "break-all" || style.lineBreak === "anywhere";
  })
  .map(el => el.tagName.toLowerCase() + "." + el.className)"""

# The visible text nodes of the page, with each character's line (its top), in one pass.
_TEXT_LINES = """
  function* lines() {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest("script, style, option, select, .visually-hidden")) continue;
      if (!parent.getClientRects().length || !node.textContent.trim()) continue;
      yield node;
    }
  }
  function top(node, start, end) {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return [...range.getClientRects()].filter(r => r.width && r.height);
  }
"""

# A Latin word (or number) laid out on two lines: split mid-word.
SPLIT_WORDS = (
    "() => {"
    + _TEXT_LINES
    + """
  const bad = [];
  for (const node of lines()) {
    for (const match of node.textContent.matchAll(/[A-Za-z0-9]{2,}/g)) {
      const rects = top(node, match.index, match.index + match[0].length);
      if (!rects.length) continue;
      const tops = rects.map(r => r.top), height = Math.min(...rects.map(r => r.height));
      if (Math.max(...tops) - Math.min(...tops) > height / 2) bad.push(match[0]);
    }
  }
  return bad;
}"""
)

# Japanese line breaking (kinsoku): no line starts with a closing bracket, a small kana, a
# prolonged sound mark or a full stop, and none ends with an opening bracket.
NO_START = "、。，．・：；？！ー）」』】〕〉》ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
NO_END = "（「『【〔〈《"
BAD_JAPANESE_BREAKS = (
    "([noStart, noEnd]) => {"
    + _TEXT_LINES
    + """
  const bad = [];
  for (const node of lines()) {
    const text = node.textContent;
    if (!/[\\u3040-\\u30ff\\u4e00-\\u9fff]/.test(text)) continue;
    let previous = null;
    for (let i = 0; i < text.length; i++) {
      const rect = top(node, i, i + 1)[0];
      if (!rect) continue;
      if (previous && rect.top > previous.rect.top + previous.rect.height / 2) {
        if (noStart.includes(text[i]) || noEnd.includes(text[previous.i])) {
          bad.push(text.slice(Math.max(0, i - 6), i) + " | " + text.slice(i, i + 6));
        }
      }
      previous = { i: i, rect: rect };
    }
  }
  return bad;
}"""
)


def layout_problems(page: Page, name: str, width: int) -> list[str]:
    """No sideways scrolling, nothing off screen, no button text wider than its button."""
    problems = []
    overflow = page.evaluate(PAGE_OVERFLOW)
    if overflow > 0:
        problems.append(f"{name}: the page is {overflow} px wider than the screen")
    off_screen = page.evaluate(OFF_SCREEN, width)
    if off_screen:
        problems.append(f"{name}: off screen: {off_screen[:5]}")
    buttons = page.evaluate(BUTTONS_OVERFLOWING)
    if buttons:
        problems.append(f"{name}: button text wider than its button: {buttons[:5]}")
    return problems


def box(locator: Locator) -> dict:
    found = locator.bounding_box()
    assert found, f"{locator} is not on screen"
    return found


def right(locator: Locator) -> float:
    found = box(locator)
    return found["x"] + found["width"]


def watch_errors(page: Page) -> list[str]:
    """Uncaught errors and console errors of the page, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
    return errors
