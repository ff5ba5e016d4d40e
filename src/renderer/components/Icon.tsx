/**
 * Line icons as inline SVG (no icon font, no emoji: field laptops may lack both, and the CSP allows
 * no inline style; SVG presentation attributes are not styles). Decorative: hidden from assistive tech.
 */
export type IconName = 'key' | 'keypad' | 'offline' | 'warning';

export function Icon({ name }: { name: IconName }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      width="32"
      height="32"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {name === 'key' ? (
        <>
          <circle cx="8" cy="15" r="4" />
          <path d="M10.85 12.15 19 4" />
          <path d="m18 5 2 2" />
          <path d="m15 8 2 2" />
        </>
      ) : null}
      {name === 'keypad' ? (
        <>
          {[6, 12, 18].flatMap((y) =>
            [6, 12, 18].map((x) => <circle key={`${x}-${y}`} cx={x} cy={y - 1} r="1.4" fill="currentColor" stroke="none" />),
          )}
          <circle cx="12" cy="22" r="1.4" fill="currentColor" stroke="none" />
        </>
      ) : null}
      {name === 'offline' ? (
        <>
          <path d="M2 8.8a15 15 0 0 1 4.2-2.7" />
          <path d="M10.7 5.1A15 15 0 0 1 22 8.8" />
          <path d="M5 12.6a10 10 0 0 1 5.2-2.6" />
          <path d="M16.8 11.2a10 10 0 0 1 2.2 1.4" />
          <path d="M8.5 16.3a5 5 0 0 1 7 0" />
          <path d="M12 20h.01" />
          <path d="m2 2 20 20" />
        </>
      ) : null}
      {name === 'warning' ? (
        <>
          <path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z" />
          <path d="M12 9v4" />
          <path d="M12 17h.01" />
        </>
      ) : null}
    </svg>
  );
}
