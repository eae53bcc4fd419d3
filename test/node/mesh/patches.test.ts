/**
 * The @libp2p/webrtc patches are applied (postinstall: patch-package --patch-dir scripts/patches).
 * Their effect is proven in Chromium by test/browser/mesh.test.ts: without them, dials fail after
 * the 6 s dial timeout (init-channel race) and a closed tab is noticed after 6-8 s, not ~50 ms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package's `exports` hide package.json and dist files from require.resolve: read from disk.
const pkgDir = join(import.meta.dirname, '../../../node_modules/@libp2p/webrtc');
const read = (rel: string) => readFileSync(join(pkgDir, 'dist/src', rel), 'utf8');

describe('@libp2p/webrtc patches', () => {
  it('is the version the patch was written for', () => {
    expect(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version).toBe('6.0.33');
  });
  it('waits for the init channel only while it is connecting', () => {
    const src = read('private-to-private/initiate-connection.js');
    expect(src).toContain("if (channel.readyState === 'connecting') {");
    expect(src).not.toContain("if (channel.readyState !== 'open') {");
  });
  it('closes the connection when the DTLS transport closes', () => {
    const src = read('rtcpeerconnection-to-conn.js');
    expect(src).toContain("dtls?.addEventListener?.('statechange', onDtlsState);");
  });
});
