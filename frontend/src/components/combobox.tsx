import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { formatNumber } from '@/lib/format';
import { exactMatch, matchOptions, prepareOptions } from '@/lib/match-options';

export type ComboboxOption = { value: string; label: string; count?: number };

type Props = {
  /** The input's id, for the <label htmlFor> that names it. */
  id: string;
  /** Undefined while they load. */
  options: readonly ComboboxOption[] | undefined;
  value: string;
  onChange: (value: string) => void;
  /** The listbox's accessible name ("Categories"). */
  listLabel: string;
  /** The text is the value: pick a suggestion or type something new (a new category name). */
  allowFreeText?: boolean;
  /** A first option with the value '' ("All categories"); clearing the text also chooses it. */
  emptyLabel?: string;
  placeholder?: string;
  loading?: boolean;
  /** At most this many options are in the DOM; past it, "N more — keep typing". */
  limit?: number;
  disabled?: boolean;
};

const PAGE = 10;
const NONE: readonly ComboboxOption[] = [];

const optionId = (listId: string, i: number) => `${listId}-${i}`;

/**
 * A text box with a filtered list of suggestions (the WAI-ARIA combobox pattern, list autocomplete):
 * typing narrows the options, best matches first, arrows move through them, Enter picks, Escape
 * closes (and puts the chosen label back; with free text, a second Escape empties the box). Only
 * `limit` options are ever rendered, so it stays quick with thousands.
 */
export function Combobox({
  id,
  options = NONE,
  value,
  onChange,
  listLabel,
  allowFreeText = false,
  emptyLabel,
  placeholder,
  loading = false,
  limit = 50,
  disabled,
}: Props) {
  const listId = `${id}-listbox`;
  const inputRef = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  // What was typed since the list opened; null shows every option (and, in select mode, the chosen label).
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(-1);

  const prepared = useMemo(() => prepareOptions(options, (o) => o.label), [options]);
  const selected = useMemo(() => options.find((o) => o.value === value), [options, value]);
  const filterText = query ?? '';
  const matches = useMemo(() => matchOptions(prepared, filterText), [prepared, filterText]);
  const showEmpty = emptyLabel != null && !filterText.trim();
  const items: ComboboxOption[] = useMemo(
    () => [...(showEmpty ? [{ value: '', label: emptyLabel ?? '' }] : []), ...matches.slice(0, limit)],
    [showEmpty, emptyLabel, matches, limit],
  );
  const more = matches.length - Math.min(matches.length, limit);
  const activeIndex = open && active >= 0 && active < items.length ? active : -1;
  const text = allowFreeText ? value : (query ?? selected?.label ?? value);
  const typedNew = allowFreeText && query !== null && value.trim() !== '' && !exactMatch(prepared, value);

  const notes: string[] = [];
  if (loading && options.length === 0) notes.push('Loading…');
  else if (typedNew) notes.push(`Not in the list yet: “${value.trim()}”`);
  else if (items.length === 0 && filterText.trim()) notes.push('No match.');
  if (more > 0) notes.push(`${formatNumber(more)} more — keep typing`);
  const visible = open && (items.length > 0 || notes.length > 0);

  const selectedIndex = () => items.findIndex((o) => o.value === value);

  useEffect(() => {
    // jsdom has no scrollIntoView; browsers do.
    if (activeIndex >= 0) document.getElementById(optionId(listId, activeIndex))?.scrollIntoView?.({ block: 'nearest' });
  }, [activeIndex, listId]);

  const show = (at: number) => {
    setOpen(true);
    setActive(at);
  };
  const close = () => {
    setOpen(false);
    setQuery(null);
    setActive(-1);
  };
  const choose = (option: ComboboxOption) => {
    if (allowFreeText || option.value !== value) onChange(option.value);
    close();
  };
  // Leaving select mode with typed text: an emptied box clears, an exact name picks it, anything else reverts.
  const settle = () => {
    if (!allowFreeText && query !== null) {
      const exact = exactMatch(prepared, query);
      if (!query.trim() && emptyLabel != null) {
        if (value !== '') onChange('');
      } else if (exact && exact.value !== value) onChange(exact.value);
    }
    close();
  };
  const move = (to: number) => {
    if (items.length) setActive(Math.max(0, Math.min(items.length - 1, to)));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    // Keys that confirm an input method's composition (Japanese, Chinese…) are not ours.
    if (e.nativeEvent.isComposing) return;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        e.preventDefault();
        const down = e.key === 'ArrowDown';
        if (!open) {
          const at = selectedIndex();
          show(e.altKey ? -1 : at >= 0 ? at : down ? 0 : items.length - 1);
        } else if (activeIndex < 0) move(down ? 0 : items.length - 1);
        else move(activeIndex + (down ? 1 : -1));
        break;
      }
      case 'PageDown':
      case 'PageUp':
        if (open) {
          e.preventDefault();
          move(Math.max(activeIndex, 0) + (e.key === 'PageDown' ? PAGE : -PAGE));
        }
        break;
      case 'Home':
      case 'End':
        // With the list closed they move the caret, as in any text box.
        if (open) {
          e.preventDefault();
          move(e.key === 'Home' ? 0 : items.length - 1);
        }
        break;
      case 'Enter': {
        const option = activeIndex >= 0 ? items[activeIndex] : undefined;
        if (option) {
          e.preventDefault();
          choose(option);
        } else if (open) {
          // Free text: the typed name stands and the Enter goes on to submit the form.
          if (!allowFreeText) e.preventDefault();
          settle();
        }
        break;
      }
      case 'Escape':
        if (open) {
          // Handled here: a dialog around the box must not close too.
          e.preventDefault();
          e.stopPropagation();
          close();
        } else if (allowFreeText && value) {
          e.preventDefault();
          e.stopPropagation();
          onChange('');
        }
        break;
    }
  };

  return (
    <div className="combobox">
      <input
        ref={inputRef}
        id={id}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={visible}
        aria-controls={listId}
        aria-activedescendant={visible && activeIndex >= 0 ? optionId(listId, activeIndex) : undefined}
        className="combobox-input"
        value={text}
        placeholder={placeholder}
        disabled={disabled}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          const next = e.target.value;
          setQuery(next);
          setOpen(true);
          // Select mode: the best match is ready for Enter. Free text: Enter keeps what was typed.
          setActive(!allowFreeText && next.trim() ? 0 : -1);
          if (allowFreeText) onChange(next);
        }}
        onFocus={(e) => {
          // Typing replaces the chosen label instead of appending to it.
          if (!allowFreeText) e.target.select();
        }}
        onClick={() => {
          if (!open) show(selectedIndex());
        }}
        onBlur={() => {
          if (open || query !== null) settle();
        }}
        onKeyDown={onKeyDown}
      />
      {/* A mouse shortcut only: keyboard users open the list with the arrow keys, so it stays out of the tab order. */}
      <button
        type="button"
        className="combobox-toggle"
        tabIndex={-1}
        aria-hidden="true"
        disabled={disabled}
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => {
          if (open) close();
          else {
            inputRef.current?.focus();
            show(selectedIndex());
          }
        }}
      >
        ▾
      </button>
      {/* Pressing inside the list keeps the focus in the input, so its blur means "clicked elsewhere". */}
      <div className="combobox-popup" hidden={!visible} onMouseDown={(e) => e.preventDefault()}>
        <ul id={listId} role="listbox" aria-label={listLabel} className="combobox-list">
          {visible
            ? items.map((o, i) => (
                <li
                  key={`${i === 0 && showEmpty ? 'empty' : 'option'}:${o.value}`}
                  id={optionId(listId, i)}
                  role="option"
                  aria-selected={o.value === value}
                  className={i === activeIndex ? 'combobox-option combobox-active' : 'combobox-option'}
                  onMouseMove={() => {
                    if (i !== activeIndex) setActive(i);
                  }}
                  onClick={() => choose(o)}
                >
                  <span className="combobox-label">{o.label}</span>
                  {/* The space keeps the accessible name "News 1,234", not "News1,234". */}
                  {o.count != null ? <> <span className="combobox-count">{formatNumber(o.count)}</span></> : null}
                </li>
              ))
            : null}
        </ul>
        {visible
          ? notes.map((n) => (
              <div key={n} className="combobox-note">
                {n}
              </div>
            ))
          : null}
      </div>
      <div className="sr-only" aria-live="polite">
        {visible && filterText.trim() ? `${formatNumber(matches.length)} ${matches.length === 1 ? 'match' : 'matches'}` : ''}
      </div>
    </div>
  );
}
