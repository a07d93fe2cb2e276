import { describe, expect, it } from 'vitest';
import { bridgePage, escapeHtml } from '../../src/inspect/bridge-page.js';
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

describe('bridgePage', () => {
  it('says in text what the default inspector needs and links the offline console', () => {
    const page = bridgePage({ consoleUrl: 'http://127.0.0.1:8020/ui/' });
    expect(page).toContain('this browser must be able to reach https://stately.ai,');
    expect(page).toContain('Without internet access the area below stays empty.');
    expect(page).toContain('<a href="http://127.0.0.1:8020/ui/">');
    expect(page).toContain('--inspect-url &lt;url&gt;');
    // Before the tower's API listens, the link is the console's path.
    expect(bridgePage()).toContain('<a href="/ui/">/ui/</a>');
  });

  it('escapes whatever URL it is given, in text and attributes', () => {
    const page = bridgePage({
      inspectorUrl: 'https://x.example/"><script>alert(1)</script>',
      consoleUrl: "/ui/'",
    });
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('src="https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).toContain('href="/ui/&#39;"');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
