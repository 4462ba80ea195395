// Key/value metadata (node meta, service meta) as a definition list.
export function Meta({
  meta,
  label,
}: {
  meta: Record<string, string> | null | undefined;
  label: string;
}) {
  const entries = Object.entries(meta ?? {});
  if (entries.length === 0) return null;
  return (
    <dl className="meta" aria-label={label}>
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
