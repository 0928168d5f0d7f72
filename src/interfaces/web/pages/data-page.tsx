/**
 * The lake's tables: how many commits and rows each has, its size, when it was first and
 * last appended to, and its columns; each name opens the table's page.
 */
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { DataSchema } from '../components/data-schema.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { formatAgo, formatBytes, formatIso, formatNumber } from '../format.js';
import { paths } from '../paths.js';
import { useFetch } from '../use-fetch.js';

export function DataPage() {
  const tables = useFetch((signal) => api.dataTables(signal), []);
  if (tables.error) return <LoadError error={tables.error} />;
  if (!tables.data) return <p className="muted">{tables.loading ? 'Loading the lake…' : ''}</p>;
  if (tables.data.length === 0) {
    return (
      <EmptyState title="No tables in the lake yet">
        <p>A table is made by its first append: the rows of a CSV (with a header), Parquet or JSON-lines file, kept as a commit that is never changed.</p>
        <pre>reprise data append TABLE FILE</pre>
        <p>Runs read tables through queries declared under data: in reprise.yaml, pinned to a time.</p>
      </EmptyState>
    );
  }
  return (
    <div className="data-page">
      <h1>Data</h1>
      <div className="table-scroll">
        <table className="plain data-tables" data-testid="data-tables">
          <thead>
            <tr>
              <th>Table</th>
              <th className="num">Commits</th>
              <th className="num">Rows</th>
              <th className="num">Size</th>
              <th>First commit</th>
              <th>Last commit</th>
              <th>Columns</th>
            </tr>
          </thead>
          <tbody>
            {tables.data.map((t) => (
              <tr key={t.name} data-testid="data-table-row" data-table={t.name}>
                <td>
                  <Link to={paths.dataTable(t.name)} className="data-table-name" data-testid="data-table-link">
                    {t.name}
                  </Link>
                </td>
                <td className="num" data-testid="data-table-commits">
                  {formatNumber(t.commits)}
                </td>
                <td className="num" data-testid="data-table-rows">
                  {formatNumber(t.rows)}
                </td>
                <td className="num">{formatBytes(t.bytes)}</td>
                <td className="mono nowrap">{formatIso(t.firstCommitAt)}</td>
                <td className="nowrap">
                  <span className="mono">{formatIso(t.lastCommitAt)}</span> <span className="muted">{formatAgo(t.lastCommitAt)}</span>
                </td>
                <td>
                  <DataSchema columns={t.schema} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
