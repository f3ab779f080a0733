import { fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ChannelLogo, logoSource } from '@/components/channel-logo';

describe('ChannelLogo', () => {
  it('shows the initials tile, not a blank square, when the logo fails', () => {
    const { container } = render(<ChannelLogo name="BBC One HD" src="http://logos.invalid/bbc.png" />);
    const img = container.querySelector('img')!;
    expect(container.querySelector('.logo-fallback')?.textContent).toBe('BO');
    fireEvent.error(img);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('.logo-fallback')?.textContent).toBe('BO');
  });

  it('treats a 1×1 placeholder pixel as no logo', () => {
    const { container } = render(<ChannelLogo name="Sky News" src="http://logos.invalid/pixel.gif" />);
    const img = container.querySelector('img')!;
    Object.defineProperty(img, 'naturalWidth', { value: 1 });
    Object.defineProperty(img, 'naturalHeight', { value: 1 });
    fireEvent.load(img);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('.logo-fallback')?.textContent).toBe('SN');
  });

  it('shows a logo that loads, without the tile behind it', () => {
    const { container } = render(<ChannelLogo name="Sky News" src="http://logos.invalid/sky.png" />);
    const img = container.querySelector('img')!;
    Object.defineProperty(img, 'naturalWidth', { value: 200 });
    Object.defineProperty(img, 'naturalHeight', { value: 100 });
    fireEvent.load(img);
    expect(container.querySelector('.logo-fallback')).toBeNull();
    expect(container.querySelector('img')?.className).toBe('logo');
  });
});

describe('logoSource', () => {
  it("prefers strmline's cached copy, then the source URL, then nothing", () => {
    const proxied = '/logo/0123456789abcdef0123456789abcdef?src=http%3A%2F%2Flogos.invalid%2Fa.png&name=A';
    expect(logoSource({ logo: 'http://logos.invalid/a.png', logo_proxy: proxied })).toBe(proxied);
    expect(logoSource({ logo: 'data:image/png;base64,AA==', logo_proxy: null })).toBe('data:image/png;base64,AA==');
    expect(logoSource({ logo: 'http://logos.invalid/a.png' })).toBe('http://logos.invalid/a.png');
    expect(logoSource({ logo: null, logo_proxy: null })).toBeNull();
    expect(logoSource({ logo: '', logo_proxy: '' })).toBeNull();
  });
});
