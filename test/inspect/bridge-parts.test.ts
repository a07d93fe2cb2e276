import { describe, expect, it } from 'vitest';
import { isAllowedOrigin } from '../../src/inspect/inspector-bridge.js';

describe('isAllowedOrigin', () => {
  it('lets in non-browser clients and the bridge page itself, on any loopback port', () => {
    expect(isAllowedOrigin(undefined, '127.0.0.1:9090')).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:9090', '127.0.0.1:9090')).toBe(true);
    expect(isAllowedOrigin('http://localhost:2222', 'localhost:2222')).toBe(true);
    expect(isAllowedOrigin('http://[::1]:9090', '[::1]:9090')).toBe(true);
  });

  it('keeps out other sites, rebound names and opaque origins', () => {
    expect(isAllowedOrigin('https://evil.example', '127.0.0.1:9090')).toBe(false);
    expect(isAllowedOrigin('http://evil.example:9090', 'evil.example:9090')).toBe(false);
    expect(isAllowedOrigin('null', '127.0.0.1:9090')).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:9090', undefined)).toBe(false);
  });
});
