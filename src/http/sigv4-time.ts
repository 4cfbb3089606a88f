// Request timestamps for SigV4: the ISO-8601 basic format of X-Amz-Date and the HTTP `Date` fallback.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html (sigv4.md §8.1)

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses `YYYYMMDDTHHMMSSZ`; undefined unless it is exactly that and names a real instant. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return utc(y, mo, d, h, mi, s);
}

/** `YYYYMMDDTHHMMSSZ` of an instant (seconds truncated). */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and RFC 2822 with a numeric zone, which botocore's
// email.utils.formatdate() writes as `Wed, 25 Nov 2026 20:30:00 -0000` (RFC 9110 §5.6.7, RFC 2822 §3.3).
const RFC_1123 =
  /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+(GMT|UTC?|Z|[+-]\d{4})$/;
// RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`.
const RFC_850 = /^[A-Za-z]+,\s*(\d{2})-([A-Za-z]{3})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\s+GMT$/;
// asctime: `Sun Nov  6 08:49:37 1994`.
const ASCTIME = /^[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/;

/** Parses the three HTTP date formats of RFC 9110 §5.6.7 plus RFC 2822 numeric zones. */
export function parseHttpDate(value: string): Date | undefined {
  let m = RFC_1123.exec(value);
  if (m) {
    const date = utc(Number(m[3]), month(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
    if (!date) return undefined;
    const zone = m[7] ?? "GMT";
    if (!/^[+-]/.test(zone)) return date;
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    if (minutes > 59) return undefined;
    const offsetMs = (hours * 60 + minutes) * 60_000 * (zone.startsWith("-") ? -1 : 1);
    return new Date(date.getTime() - offsetMs);
  }
  m = RFC_850.exec(value);
  if (m) {
    // Two-digit years: RFC 9110 §5.6.7 says to read a year more than 50 years ahead as the past century.
    const yy = Number(m[3]);
    const year = yy < 70 ? 2000 + yy : 1900 + yy;
    return utc(year, month(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME.exec(value);
  if (m) return utc(Number(m[6]), month(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

function month(name: string | undefined): number {
  return MONTHS.indexOf((name ?? "").toLowerCase()) + 1;
}

/** A UTC instant, or undefined when a field is out of range (Date.UTC would silently roll it over). */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  return date;
}
