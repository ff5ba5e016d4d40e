import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  NOTE_TEXT_MAX_CHARS,
  NOTE_TITLE_MAX_CHARS,
  type Access,
  type FieldNote,
  type FieldNoteSummary,
  type NoteSyncState,
  type SyncStatusView,
} from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { formatDateTime } from '../format';
import { useAction } from '../use-action';

type Editing = { kind: 'none' } | { kind: 'new' } | { kind: 'note'; note: FieldNote };

const READ_ONLY_REASON =
  'Read-only: the grace period for working offline is over, so notes can be read but not changed. Connect to the network to edit again.';

const SYNC_STATE_TEXT: Readonly<Record<NoteSyncState, string>> = { synced: 'Synced', pending: 'Waiting to sync', rejected: 'Rejected' };

/** A note's sync state in words, with the reason for a rejected one. */
function SyncBadge({ note }: { note: FieldNoteSummary }) {
  return (
    <span className={`note-sync note-sync-${note.syncState}`} data-sync-state={note.syncState}>
      {SYNC_STATE_TEXT[note.syncState]}
      {note.syncState === 'rejected' && note.rejection ? `: ${note.rejection}` : ''}
    </span>
  );
}

/**
 * The unlocked account's notes. With a Field API (`sync.configured`), each note shows its sync
 * state, and the list is read again whenever the sync status changes (a sync brings notes in).
 */
export function FieldNotesPanel({ accountId, access, sync }: { accountId: string; access: Access; sync: SyncStatusView | null }) {
  const [notes, setNotes] = useState<FieldNoteSummary[]>([]);
  const [editing, setEditing] = useState<Editing>({ kind: 'none' });
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const loader = useAction();
  const saver = useAction();
  const writable = access === 'full';

  const reload = useCallback(async () => {
    const list = await unwrap(fieldkey().listNotes());
    setNotes(list);
    return list;
  }, []);

  const synced = sync?.configured ?? false;
  const syncRevision = sync ? `${sync.lastSyncAt ?? ''} ${sync.pending} ${sync.lastError?.code ?? ''}` : '';

  // Reload when the account or its access changes, and after each sync.
  useEffect(() => {
    void loader.run(reload);
  }, [accountId, access, syncRevision, reload, loader.run]);

  const open = (id: number): void => {
    setSaved(null);
    saver.setError(null);
    void loader.run(async () => {
      const note = await unwrap(fieldkey().getNote(id));
      setEditing({ kind: 'note', note });
      setTitle(note.title);
      setText(note.text);
    });
  };

  const startNew = (): void => {
    setSaved(null);
    saver.setError(null);
    setEditing({ kind: 'new' });
    setTitle('');
    setText('');
  };

  const save = (event: FormEvent): void => {
    event.preventDefault();
    setSaved(null);
    void saver.run(async () => {
      const note =
        editing.kind === 'note'
          ? await unwrap(fieldkey().updateNote(editing.note.id, title, text))
          : await unwrap(fieldkey().createNote(title, text));
      setEditing({ kind: 'note', note });
      setTitle(note.title);
      setText(note.text);
      setSaved(`Saved ${formatDateTime(note.updatedAt)}`);
      await reload();
    });
  };

  const selectedId = editing.kind === 'note' ? editing.note.id : null;

  return (
    <section className="notes" aria-labelledby="notes-title">
      <div className="notes-header">
        <h1 id="notes-title" className="notes-title">
          Field notes
        </h1>
        <button
          type="button"
          className="button primary"
          disabled={!writable}
          aria-describedby={writable ? undefined : 'notes-read-only'}
          onClick={startNew}
        >
          New note
        </button>
      </div>
      {!writable ? (
        <p id="notes-read-only" className="read-only-reason">
          {READ_ONLY_REASON}
        </p>
      ) : null}
      <Alert message={loader.error} />
      <div className="notes-body">
        <nav className="note-list" aria-label="Notes">
          {notes.length === 0 ? (
            <p className="muted empty">{writable ? 'No notes yet. Choose “New note” to write one.' : 'No notes yet.'}</p>
          ) : (
            <ul>
              {notes.map((note) => (
                <li key={note.id}>
                  <button
                    type="button"
                    className={note.id === selectedId ? 'note-item selected' : 'note-item'}
                    aria-current={note.id === selectedId ? 'true' : undefined}
                    onClick={() => open(note.id)}
                  >
                    <span className="note-item-title">{note.title}</span>
                    <span className="note-item-date">{formatDateTime(note.updatedAt)}</span>
                    {synced ? <SyncBadge note={note} /> : null}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div className="editor">
          {editing.kind === 'none' ? (
            <div className="editor-empty">
              <p className="muted">Choose a note to read it{writable ? ', or write a new one' : ''}.</p>
            </div>
          ) : (
            <form className="form editor-form" onSubmit={save} noValidate>
              <Field label="Note title">
                {(id) => (
                  <input
                    id={id}
                    className="input"
                    type="text"
                    value={title}
                    readOnly={!writable}
                    maxLength={NOTE_TITLE_MAX_CHARS}
                    autoFocus={editing.kind === 'new'}
                    onChange={(e) => setTitle(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Note text" grow>
                {(id) => (
                  <textarea
                    id={id}
                    className="input textarea"
                    value={text}
                    readOnly={!writable}
                    maxLength={NOTE_TEXT_MAX_CHARS}
                    rows={12}
                    onChange={(e) => setText(e.target.value)}
                    onKeyDown={(e) => {
                      // Enter makes a new line here; Ctrl+Enter (Cmd+Enter) saves.
                      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                        e.preventDefault();
                        e.currentTarget.form?.requestSubmit();
                      }
                    }}
                  />
                )}
              </Field>
              <Alert message={saver.error} />
              <div className="editor-actions">
                {saved ? <span className="saved">{saved}</span> : null}
                <button
                  type="submit"
                  className="button primary"
                  disabled={!writable || saver.busy}
                  aria-describedby={writable ? undefined : 'notes-read-only'}
                >
                  Save
                </button>
              </div>
            </form>
          )}
        </div>
      </div>
    </section>
  );
}
