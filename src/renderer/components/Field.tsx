import { useId, type ReactElement, type ReactNode } from 'react';

/**
 * A labelled control. The label is a sibling tied by `for`/`id` (not wrapped around the control), so
 * the control's accessible name is exactly the label text, never the label plus the typed value.
 */
export function Field({ label, grow, children }: { label: string; grow?: boolean; children: (id: string) => ReactElement }): ReactNode {
  const id = useId();
  return (
    <div className={grow ? 'field field-grow' : 'field'}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children(id)}
    </div>
  );
}
