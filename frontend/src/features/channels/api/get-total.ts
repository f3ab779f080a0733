/** "1 channel", "100,000 channels": the server counts the filtered list on every page. */
export function channelCountLabel(total: number | null | undefined, loaded: number): string {
  if (total != null) return `${total.toLocaleString()} channel${total === 1 ? '' : 's'}`;
  return `${loaded.toLocaleString()} shown`;
}
