/**
 * Opens a local HTML file in headless Chromium (playwright-core driving /usr/bin/chromium, no network) and reports
 * what a reader would see: console errors, a few numbers from the page, and a full-page screenshot.
 */
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.RDBSCOPE_CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface PageCheck {
  readonly errors: string[];
  readonly totalKeys: string | null;
  readonly treemapCells: number;
  readonly findings: number;
  readonly title: string;
}

export async function checkHtmlInBrowser(file: string, screenshot: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`); });
    await page.goto(`file://${file}`);
    // Sorting a table by clicking its header runs the page's script.
    await page.click('#recommendations table th:nth-child(2)').catch(() => undefined);
    await page.screenshot({ path: screenshot, fullPage: true });
    return {
      errors,
      totalKeys: await page.textContent('#total-keys'),
      treemapCells: await page.locator('svg.treemap rect').count(),
      findings: await page.locator('#recommendations .finding').count(),
      title: await page.title(),
    };
  } finally {
    await browser.close();
  }
}
