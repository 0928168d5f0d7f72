/**
 * @module adapters/blob-store/s3/s3-url
 * Where an S3 blob store keeps its blobs, as `--artifacts` and REPRISE_ARTIFACTS write it:
 * checked without loading the AWS SDK, so a bad URL is refused at once.
 */
import { RepriseError } from '../../../core/errors.js';

/**
 * Reads `s3://bucket[/prefix]`: the bucket named as S3 allows (3 to 63 lower-case letters,
 * digits, dots and hyphens, …), the prefix without its outer slashes ('' when none).
 * Anything else is REPRISE_ERR_ARTIFACTS_URL_INVALID saying what is wrong.
 */
export function parseS3Url(text: string): { bucket: string; prefix: string } {
  const invalid = (why: string): RepriseError =>
    new RepriseError('REPRISE_ERR_ARTIFACTS_URL_INVALID', `artifact store URL ${JSON.stringify(text)} ${why}`, {
      hint: 'write it as s3://BUCKET or s3://BUCKET/PREFIX',
      details: { url: text },
    });
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(text);
  if (!m) throw invalid('is not an s3:// URL');
  if (/[?#]/.test(text)) throw invalid('has a query or fragment, which an S3 location cannot have');
  const bucket = m[1] ?? '';
  const problem = bucketNameProblem(bucket);
  if (problem) throw invalid(`names bucket ${JSON.stringify(bucket)}, which S3 refuses: ${problem}`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '') {
    for (const segment of prefix.split('/')) {
      if (segment === '' || segment === '.' || segment === '..') throw invalid(`has a prefix with an empty, "." or ".." segment (${JSON.stringify(prefix)})`);
    }
    // Control characters would travel in keys and headers that S3 and proxies mangle.
    if (/[\u0000-\u001f\u007f\\]/.test(prefix)) throw invalid(`has a prefix with a control character or backslash`);
  }
  return { bucket, prefix };
}

/** Why S3 would refuse a general-purpose bucket's name, or undefined when it would not. */
function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a name has 3 to 63 characters';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'only lower-case letters, digits, dots and hyphens are allowed';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'it must begin and end with a letter or digit';
  if (name.includes('..')) return 'two dots may not be adjacent';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'it may not look like an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'the prefixes xn--, sthree- and amzn-s3-demo- are reserved';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'the suffixes -s3alias, --ol-s3, .mrap, --x-s3 and --table-s3 are reserved';
  return undefined;
}
