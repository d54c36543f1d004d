/** S3's error document: `<Error><Code>…</Code><Message>…</Message></Error>`. Pure, unit-tested. */
export function parseS3Error(xml: string): { code: string | null; message: string | null } {
  const field = (name: string): string | null => {
    const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
    if (!match) return null;
    return match[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&')
      .trim();
  };
  return { code: field('Code'), message: field('Message') };
}
