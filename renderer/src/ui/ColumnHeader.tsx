/** A table's header row from its columns: each a heading and an optional width; an empty heading is read, not shown. */
import { TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { useSectionStyles } from './Page';

/** [heading, width in px]; '' is a column with no visible heading (a selection radio), named `blank` for screen readers. */
export type Column = [string, number?];

export function ColumnHeader({ columns, blank = 'Select' }: { columns: Column[]; blank?: string }) {
  const section = useSectionStyles();
  return (
    <TableHeader>
      <TableRow>
        {columns.map(([c, width], i) => (
          <TableHeaderCell key={c || i} style={width ? { width } : undefined}>
            {c || <span className={section.srOnly}>{blank}</span>}
          </TableHeaderCell>
        ))}
      </TableRow>
    </TableHeader>
  );
}
