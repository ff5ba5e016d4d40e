export function Brand() {
  return (
    <div className="brand">
      <span className="brand-mark" aria-hidden="true">
        <span className="brand-key" />
      </span>
      <span className="brand-name">FieldKey</span>
    </div>
  );
}
