import type { Notice } from '../../shared/app-state';

/** A one-off message from the main process (e.g. a revoked session, notes kept). */
export function NoticeBox({ notice }: { notice: Notice | null }) {
  if (!notice) return null;
  return (
    <div className="notice" data-code={notice.code}>
      <span className="notice-icon" aria-hidden="true">
        i
      </span>
      <span>{notice.message}</span>
    </div>
  );
}
