import { act, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { Combobox, type ComboboxOption } from '@/components/combobox';

const CATEGORIES: ComboboxOption[] = ['Bnews', 'Documentary', 'Kids', 'News', 'News UK', 'Sports', 'US | News', 'Télé Sport'].map((label, i) => ({
  value: label,
  label,
  count: (i + 1) * 1000,
}));

type HarnessProps = Partial<Parameters<typeof Combobox>[0]> & { initial?: string; spy?: (value: string) => void };

/** The combobox as a page holds it: the value in state, a label naming it, and something else to click. */
function Harness({ initial = '', spy, options = CATEGORIES, ...rest }: HarnessProps) {
  const [value, setValue] = useState(initial);
  return (
    <>
      <label htmlFor="cb">Category</label>
      <Combobox
        id="cb"
        listLabel="Categories"
        options={options}
        value={value}
        onChange={(v) => {
          spy?.(v);
          setValue(v);
        }}
        {...rest}
      />
      <output data-testid="value">{value}</output>
      <button type="button">Elsewhere</button>
    </>
  );
}

const box = () => screen.getByRole('combobox', { name: 'Category' }) as HTMLInputElement;
const optionNames = () => screen.queryAllByRole('option').map((o) => o.querySelector('.combobox-label')?.textContent);
const key = (k: string, init: Partial<KeyboardEventInit> = {}) => fireEvent.keyDown(box(), { key: k, ...init });
const type = (text: string) => fireEvent.change(box(), { target: { value: text } });
const activeOption = () => {
  const id = box().getAttribute('aria-activedescendant');
  return id ? document.getElementById(id) : null;
};
const blurTo = (el: HTMLElement) => act(() => el.focus());

describe('Combobox', () => {
  it('is a labelled combobox controlling a listbox, closed until asked', () => {
    render(<Harness />);
    const input = box();
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(input.getAttribute('aria-activedescendant')).toBeNull();
    const listId = input.getAttribute('aria-controls') as string;
    expect(document.getElementById(listId)?.getAttribute('role')).toBe('listbox');
    expect(screen.queryByRole('listbox')).toBeNull();

    fireEvent.click(input);
    expect(input.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('listbox', { name: 'Categories' }).id).toBe(listId);
    expect(optionNames()).toHaveLength(CATEGORIES.length);
  });

  it('filters as you type, best matches first, ignoring case and accents, with counts beside them', () => {
    render(<Harness />);
    type('news');
    expect(optionNames()).toEqual(['News', 'News UK', 'US | News', 'Bnews']);
    expect(screen.getByRole('option', { name: 'News UK 5,000' })).toBeTruthy();
    type('TELE');
    expect(optionNames()).toEqual(['Télé Sport']);
    type('zzz');
    expect(optionNames()).toEqual([]);
    expect(screen.getByText('No match.')).toBeTruthy();
  });

  it('renders only `limit` options out of thousands and says how many more there are', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ value: `Group ${i}`, label: `Group ${i}` }));
    render(<Harness options={many} limit={50} />);
    fireEvent.click(box());
    expect(screen.getAllByRole('option')).toHaveLength(50);
    expect(screen.getByText('4,950 more — keep typing')).toBeTruthy();
    type('12');
    const matching = many.filter((o) => o.label.includes('12')).length;
    expect(screen.getAllByRole('option')).toHaveLength(50);
    // Numbers starting with 12 come first (a word start), then the ones with 12 inside.
    expect(optionNames().slice(0, 3)).toEqual(['Group 12', 'Group 120', 'Group 121']);
    expect(optionNames()).not.toContain('Group 312');
    expect(screen.getByText(`${(matching - 50).toLocaleString('en')} more — keep typing`)).toBeTruthy();
    type('group 1234');
    expect(optionNames()).toEqual(['Group 1234']);
    expect(screen.queryByText(/more — keep typing/)).toBeNull();
  });

  it('moves with the arrow keys, Home and End, and Enter picks the active option', () => {
    const spy = vi.fn();
    render(<Harness initial="Kids" spy={spy} />);
    expect(box().value).toBe('Kids');
    key('ArrowDown'); // opens on the chosen one
    expect(box().getAttribute('aria-expanded')).toBe('true');
    expect(activeOption()?.textContent).toMatch(/^Kids/);
    expect(activeOption()?.getAttribute('aria-selected')).toBe('true');
    key('ArrowDown');
    expect(activeOption()?.textContent).toMatch(/^News/);
    key('ArrowUp');
    key('ArrowUp');
    expect(activeOption()?.textContent).toMatch(/^Documentary/);
    key('End');
    expect(activeOption()?.textContent).toMatch(/^Télé Sport/);
    key('ArrowDown'); // stays on the last
    expect(activeOption()?.textContent).toMatch(/^Télé Sport/);
    key('Home');
    expect(activeOption()?.textContent).toMatch(/^Bnews/);
    key('ArrowDown');
    key('Enter');
    expect(spy).toHaveBeenCalledWith('Documentary');
    expect(box().value).toBe('Documentary');
    expect(box().getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('makes the best match ready for Enter while typing', () => {
    const spy = vi.fn();
    render(<Harness spy={spy} />);
    type('spo');
    expect(activeOption()?.textContent).toMatch(/^Sports/);
    key('ArrowDown');
    key('Enter');
    expect(spy).toHaveBeenCalledWith('Télé Sport');
  });

  it('Escape closes and puts the chosen label back, without choosing', () => {
    const spy = vi.fn();
    const outer = vi.fn();
    render(
      <div onKeyDown={(e) => outer(e.key)}>
        <Harness initial="Kids" spy={spy} />
      </div>,
    );
    type('spo');
    expect(box().value).toBe('spo');
    key('Escape');
    expect(box().value).toBe('Kids');
    expect(box().getAttribute('aria-expanded')).toBe('false');
    expect(spy).not.toHaveBeenCalled();
    // Only the Escape that closed the list was kept from the page (a dialog around it stays open).
    expect(outer).not.toHaveBeenCalled();
    key('Escape');
    expect(outer).toHaveBeenCalledWith('Escape');
  });

  it('picks with the mouse, and clicking elsewhere closes and reverts', () => {
    const spy = vi.fn();
    render(<Harness spy={spy} />);
    fireEvent.click(box());
    const option = screen.getByRole('option', { name: /^Sports/ });
    fireEvent.mouseMove(option);
    expect(activeOption()).toBe(option);
    fireEvent.click(option);
    expect(spy).toHaveBeenCalledWith('Sports');
    expect(box().value).toBe('Sports');

    act(() => box().focus());
    type('kid');
    blurTo(screen.getByRole('button', { name: 'Elsewhere' }));
    expect(box().getAttribute('aria-expanded')).toBe('false');
    expect(box().value).toBe('Sports');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('takes a name typed in full when focus leaves, whatever its case', () => {
    const spy = vi.fn();
    render(<Harness spy={spy} />);
    act(() => box().focus());
    type('news uk');
    blurTo(screen.getByRole('button', { name: 'Elsewhere' }));
    expect(spy).toHaveBeenCalledWith('News UK');
    expect(box().value).toBe('News UK');
  });

  it('offers an “Any” option first, and an emptied box clears the choice', () => {
    const spy = vi.fn();
    render(<Harness initial="Kids" spy={spy} emptyLabel="All categories" placeholder="All categories" />);
    act(() => box().focus());
    fireEvent.click(box());
    expect(optionNames()[0]).toBe('All categories');
    expect(screen.getByRole('option', { name: 'All categories' }).getAttribute('aria-selected')).toBe('false');
    type('new');
    expect(optionNames()).not.toContain('All categories');
    type('');
    blurTo(screen.getByRole('button', { name: 'Elsewhere' }));
    expect(spy).toHaveBeenCalledWith('');
    expect(box().value).toBe('');
    expect(box().placeholder).toBe('All categories');

    fireEvent.click(box());
    expect(screen.getByRole('option', { name: 'All categories' }).getAttribute('aria-selected')).toBe('true');
  });

  describe('with free text', () => {
    function FreeForm({ onSubmit }: { onSubmit: (value: string) => void }) {
      const [value, setValue] = useState('');
      return (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit(value);
          }}
        >
          <label htmlFor="cb">Category</label>
          <Combobox id="cb" listLabel="Categories" options={CATEGORIES} value={value} onChange={setValue} allowFreeText />
          <button type="submit">Apply</button>
        </form>
      );
    }
    // jsdom submits a form on a button click, not on Enter in a text box: do what the browser does.
    const enter = (submit: () => void) => {
      const ev = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
      act(() => {
        box().dispatchEvent(ev);
      });
      if (!ev.defaultPrevented) submit();
    };

    it('keeps a new name as typed, and Enter submits it', () => {
      const onSubmit = vi.fn();
      render(<FreeForm onSubmit={onSubmit} />);
      type('World News');
      expect(box().value).toBe('World News');
      expect(optionNames()).toEqual([]);
      expect(screen.getByText('Not in the list yet: “World News”')).toBeTruthy();
      // Nothing is active while typing, so Enter is the form's.
      expect(box().getAttribute('aria-activedescendant')).toBeNull();
      enter(() => fireEvent.click(screen.getByRole('button', { name: 'Apply' })));
      expect(onSubmit).toHaveBeenCalledWith('World News');
    });

    it('picks a suggestion with the arrows without submitting, and Escape on a closed box empties it', () => {
      const onSubmit = vi.fn();
      render(<FreeForm onSubmit={onSubmit} />);
      type('new');
      expect(optionNames()).toEqual(['News', 'News UK', 'US | News', 'Bnews']);
      key('ArrowDown');
      key('ArrowDown');
      enter(() => fireEvent.click(screen.getByRole('button', { name: 'Apply' })));
      expect(onSubmit).not.toHaveBeenCalled();
      expect(box().value).toBe('News UK');
      expect(box().getAttribute('aria-expanded')).toBe('false');
      key('Escape');
      expect(box().value).toBe('');
    });
  });
});
