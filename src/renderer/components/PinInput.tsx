/** A PIN box: masked, and marked for password managers as a new PIN or the current one. */
export function PinInput({
  id,
  value,
  onChange,
  autoComplete,
  autoFocus,
  describedBy,
  maxLength,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'new-password' | 'current-password';
  autoFocus?: boolean;
  /** Id of the text that explains the PIN (rules, attempts left). */
  describedBy?: string;
  maxLength?: number;
}) {
  return (
    <input
      id={id}
      className="input input-pin"
      type="password"
      autoComplete={autoComplete}
      autoFocus={autoFocus}
      aria-describedby={describedBy}
      maxLength={maxLength}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
