import type { LineupRule } from '@/types/api';

export const QUALITIES = ['SD', 'HD', 'FHD', 'QHD', 'UHD', '8K'] as const;

/** A rule as the form edits it: every field a string, '' for "any". */
export type RuleDraft = { category: string; country: string; quality: string; name: string };

export const EMPTY_RULE: RuleDraft = { category: '', country: '', quality: '', name: '' };

export function toDraft(rule: LineupRule): RuleDraft {
  return { category: rule.category ?? '', country: rule.country ?? '', quality: rule.quality ?? '', name: rule.name ?? '' };
}

/** What the API takes: blank fields left out, country upper-case; a rule with no field is dropped. */
export function fromDrafts(drafts: RuleDraft[]): LineupRule[] {
  const out: LineupRule[] = [];
  for (const d of drafts) {
    const rule: LineupRule = {};
    if (d.category.trim()) rule.category = d.category.trim();
    if (d.country.trim()) rule.country = d.country.trim().toUpperCase();
    if (d.quality) rule.quality = d.quality;
    if (d.name.trim()) rule.name = d.name.trim();
    if (Object.keys(rule).length) out.push(rule);
  }
  return out;
}

/** Problems the server would refuse, said at the field: a bad regular expression, a long country. */
export function ruleErrors(d: RuleDraft): Partial<Record<keyof RuleDraft, string>> {
  const errors: Partial<Record<keyof RuleDraft, string>> = {};
  if (d.name.trim()) {
    try {
      new RegExp(d.name.trim());
    } catch {
      errors.name = 'Not a valid regular expression.';
    }
  }
  if (d.country.trim() && !/^[A-Za-z]{2,8}$/.test(d.country.trim())) errors.country = 'A country code such as US or UK.';
  return errors;
}

/** "category News, country US, at least HD, name /^BBC/" — a rule in words. */
export function describeRule(rule: LineupRule): string {
  const parts: string[] = [];
  if (rule.category) parts.push(`category “${rule.category}”`);
  if (rule.country) parts.push(`country ${rule.country}`);
  if (rule.quality) parts.push(`at least ${rule.quality}`);
  if (rule.name) parts.push(`name matches /${rule.name}/`);
  return parts.join(', ') || 'every channel';
}
