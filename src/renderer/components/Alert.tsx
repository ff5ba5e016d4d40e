/** An error the technician must see: announced at once (`role="alert"`). */
export function Alert({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div role="alert" className="alert">
      <span className="alert-icon" aria-hidden="true">
        !
      </span>
      <span>{message}</span>
    </div>
  );
}
