/**
 * Browser end-to-end support: a Vite dev server on 127.0.0.1 serving the repository, and
 * Debian's Chromium driven by playwright-core. Nothing is downloaded: the browser is the
 * system's `/usr/bin/chromium` (installed by .ci/run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that give Chromium a WebGPU adapter here (SwiftShader, on the main thread and in Workers). */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

/**
 * Flags WebRTC needs headless on a loopback-only machine: accept the loopback interface for ICE,
 * and let Chromium enumerate interfaces at all, which it only does once camera/mic permission is
 * granted (the fake UI grants it). Without them no ICE candidate is gathered and dials time out.
 */
export const WEBRTC_FLAGS = ['--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream'];

export interface ServedApp {
  server: ViteDevServer;
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  close(): Promise<void>;
}

/** Starts Vite in dev mode on a free loopback port, serving index.html and test harness pages. */
export async function serveApp(): Promise<ServedApp> {
  const server = await createServer({
    configFile: join(import.meta.dirname, '../../vite.config.ts'),
    root: join(import.meta.dirname, '../..'),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite did not report a local URL');
  return { server, url, close: () => server.close() };
}

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Console lines and page errors of every page, for failure messages. */
  logs: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile (a persistent context, so Workers and IndexedDB
 * behave as in a real tab). `webgpu: false` launches without the WebGPU flags; `webrtc: true`
 * adds {@link WEBRTC_FLAGS} for tabs that link to each other.
 */
export async function launchChromium(opts: { webgpu?: boolean; webrtc?: boolean; args?: string[] } = {}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tabmesh-chromium-'));
  const args = [...(opts.webgpu === false ? [] : WEBGPU_FLAGS), ...(opts.webrtc ? WEBRTC_FLAGS : []), ...(opts.args ?? [])];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    timeout: 60_000,
  });
  const logs: string[] = [];
  const newPage = async () => {
    const page = await context.newPage();
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`.slice(0, 500)));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    page.on('crash', () => logs.push('page crashed'));
    return page;
  };
  return {
    context,
    logs,
    newPage,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
