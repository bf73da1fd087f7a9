/**
 * A button that asks once more before a destructive action (no `window.confirm`, which blocks the page).
 * @module
 */
import { h } from '../dom.js';

/** "Delete x" → "Really delete x?" (for 5 s) → runs `action`. */
export function confirmButton(label: string, action: () => void | Promise<void>): HTMLButtonElement {
  let armed: ReturnType<typeof setTimeout> | undefined;
  const b = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (armed === undefined) {
      b.textContent = `Really: ${label.toLowerCase()}?`;
      armed = setTimeout(() => {
        armed = undefined;
        b.textContent = label;
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = undefined;
    b.textContent = label;
    await action();
  } }, label);
  return b;
}
