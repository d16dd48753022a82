/**
 * Helpers of the layout and accessibility e2e test: what overlaps or is clipped on a page (measured in the browser
 * from real boxes), an axe-core scan, and screenshots under test-results/layout.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './fixtures';

export const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
export const THEMES = ['light', 'dark'] as const;

const shots = path.join(repoRoot, 'test-results', 'layout');

export async function layoutShot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Problems of the page's layout, as readable sentences:
 * - the page or any scroll box in it scrolls sideways (content wider than the window);
 * - in a table row, two cells' boxes overlap, or a cell's text runs out of its cell (over its neighbour, or cut off by
 *   the table) — text an element inside the cell truncates on purpose (text-overflow: ellipsis) counts as inside.
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const name = (el: Element) => {
      const row = el.closest('tr');
      const table = el.closest('table');
      const label = table?.getAttribute('aria-label') ?? table?.getAttribute('aria-labelledby') ?? 'table';
      return `${label} row ${row ? Array.from(row.parentElement?.children ?? []).indexOf(row) + 1 : '?'} cell "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    };
    const root = document.scrollingElement!;
    if (root.scrollWidth > window.innerWidth + 1)
      problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
    for (const el of Array.from(
      document.querySelectorAll<HTMLElement>('main, main *, [role=dialog], [role=dialog] *, [role=alertdialog] *'),
    )) {
      const style = getComputedStyle(el);
      if (!['auto', 'scroll'].includes(style.overflowX) || el.clientWidth === 0) continue;
      // xterm's own viewport is sized by the terminal, not by the page.
      if (el.closest('.xterm')) continue;
      const what = `${el.tagName.toLowerCase()}.${el.className.toString().split(' ')[0]}`;
      if (el.scrollWidth > el.clientWidth + 1)
        problems.push(`${what} scrolls sideways (${el.scrollWidth} px of content in ${el.clientWidth} px)`);
    }
    const visible = (r: DOMRect) => r.width > 0 && r.height > 0;
    for (const row of Array.from(document.querySelectorAll('tr'))) {
      if (!row.checkVisibility()) continue;
      const cells = Array.from(row.children).map((c) => ({ cell: c, box: c.getBoundingClientRect() }));
      for (let i = 0; i < cells.length; i++) {
        for (let j = i + 1; j < cells.length; j++) {
          const [a, b] = [cells[i].box, cells[j].box];
          const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (x > 1 && y > 1) problems.push(`${name(cells[i].cell)} overlaps ${name(cells[j].cell)}`);
        }
      }
      for (const { cell, box } of cells) {
        if (!visible(box)) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let text = walker.nextNode(); text; text = walker.nextNode()) {
          if (!(text.textContent ?? '').trim() || !text.parentElement?.checkVisibility()) continue;
          // Visually hidden text (screen readers only) and text an element truncates on purpose are not drawn out.
          let clip: DOMRect | null = null;
          let hidden = false;
          for (let el: Element | null = text.parentElement; el && el !== cell; el = el.parentElement) {
            const s = getComputedStyle(el);
            if (
              s.position === 'absolute' &&
              (s.clip !== 'auto' || s.clipPath !== 'none') &&
              el.getBoundingClientRect().width <= 1
            )
              hidden = true;
            if (s.textOverflow === 'ellipsis' && s.overflowX !== 'visible') clip ??= el.getBoundingClientRect();
          }
          if (hidden) continue;
          const range = document.createRange();
          range.selectNodeContents(text);
          const r = range.getBoundingClientRect();
          const left = clip ? Math.max(r.left, clip.left) : r.left;
          const right = clip ? Math.min(r.right, clip.right) : r.right;
          if (left < box.left - 1 || right > box.right + 1) {
            const where = `${Math.round(left)}–${Math.round(right)} in ${Math.round(box.left)}–${Math.round(box.right)}`;
            problems.push(
              `${name(cell)}: its text "${text.textContent!.trim().slice(0, 40)}" runs out of the cell (${where})`,
            );
          }
        }
      }
    }
    return problems;
  });
}

/** Two elements' boxes, and whether they overlap. */
export async function overlaps(a: Locator, b: Locator): Promise<boolean> {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  if (!x || !y) throw new Error('an element to compare is not visible');
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
}

/** Serious and critical axe-core violations on the page, one line per rule with the elements it names. */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    // Fluent's dialogs and tab lists put focusable, aria-hidden "bumper" inputs (tabster's dummy inputs) at their
    // edges to keep the focus in: aria-hidden-focus flags them, a known false positive. Only those nodes are left out.
    .exclude('[data-tabster-dummy]')
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ')}`).join('; ')}`,
    );
}
