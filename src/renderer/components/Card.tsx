import type { ReactNode } from 'react';

/** A centred panel with a heading: the layout of every screen but home. */
export function Card({
  title,
  icon,
  tone,
  children,
  wide,
}: {
  title: string;
  icon?: ReactNode;
  tone?: 'bad';
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'card card-wide' : 'card'} aria-labelledby="card-title">
      {icon ? (
        <div className={tone === 'bad' ? 'card-icon card-icon-bad' : 'card-icon'} aria-hidden="true">
          {icon}
        </div>
      ) : null}
      <h1 id="card-title" className="card-title">
        {title}
      </h1>
      {children}
    </section>
  );
}
