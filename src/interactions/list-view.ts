/** Lists in replies, DMs and posts: pages with Prev/Next buttons, or one capped block ending "…and N more"; every result fits Discord's limits. */
import { type APIActionRowComponent, type APIButtonComponent, ButtonStyle, ComponentType } from "discord-api-types/v10";
import { LIMITS, truncate } from "../discord/message-limits";
import type { MessageData } from "./reply";

/** Room kept under the content limit for the "Page x of y" line. */
const FOOTER_ROOM = 40;
const HEADER_MAX = 300;
export const DEFAULT_PER_PAGE = 15;

export interface PageOptions {
  /** Most lines on one page (a page also ends when the next line would not fit). */
  perPage?: number;
  /** Characters a page may use for its lines (the header and footer are counted apart). */
  budget?: number;
}

/** Packs lines into pages, in order, each page within `perPage` lines and `budget` characters; an over-long line is cut. */
export function paginate(lines: readonly string[], { perPage = DEFAULT_PER_PAGE, budget = LIMITS.content }: PageOptions = {}): string[][] {
  const pages: string[][] = [];
  let page: string[] = [];
  let used = 0;
  for (const raw of lines) {
    const line = truncate(raw, budget);
    const cost = line.length + (page.length ? 1 : 0);
    if (page.length && (page.length >= perPage || used + cost > budget)) {
      pages.push(page);
      page = [];
      used = 0;
    }
    page.push(line);
    used += line.length + (page.length > 1 ? 1 : 0);
  }
  if (page.length) pages.push(page);
  return pages;
}

export interface PagedList {
  /** First line(s), e.g. "Custom commands (312):"; cut to leave room for the lines. */
  header: string;
  lines: readonly string[];
  /** 1-based; past the end shows the last page. */
  page: number;
  /** Shown instead of the list when there are no lines. */
  empty: string;
  /** The custom_id of a button that shows page `n` (the feature's component re-renders with it); no buttons without it. */
  pageId?: (n: number) => string;
  perPage?: number;
}

/** Prev/Next for a paged list; disabled at either end, so the custom ids stay distinct. */
export function pageButtons(pageId: (n: number) => string, page: number, pages: number): APIActionRowComponent<APIButtonComponent> {
  return {
    type: ComponentType.ActionRow,
    components: [
      { type: ComponentType.Button, style: ButtonStyle.Secondary, label: "◀ Prev", custom_id: pageId(Math.max(page - 1, 0)), disabled: page <= 1 },
      { type: ComponentType.Button, style: ButtonStyle.Secondary, label: "Next ▶", custom_id: pageId(page + 1), disabled: page >= pages },
    ],
  };
}

/** One page of a list as message content, with "Page x of y" and Prev/Next when there is more than one page. */
export function pagedList(list: PagedList): MessageData {
  if (!list.lines.length) return { content: truncate(list.empty, LIMITS.content), components: [] };
  const header = truncate(list.header, HEADER_MAX);
  const pages = paginate(list.lines, { perPage: list.perPage ?? DEFAULT_PER_PAGE, budget: LIMITS.content - header.length - 1 - FOOTER_ROOM });
  const page = Math.min(Math.max(Math.trunc(list.page) || 1, 1), pages.length);
  return listPage({ header, lines: pages[page - 1] ?? [], page, pages: pages.length, pageId: list.pageId });
}

/**
 * A page the caller already cut (e.g. with LIMIT/OFFSET in SQL): the header, the lines (as many as fit, then
 * "…and N more"), "Page x of y" and Prev/Next.
 */
export function listPage(p: {
  header: string;
  lines: readonly string[];
  page: number;
  pages: number;
  pageId?: ((n: number) => string) | undefined;
}): MessageData {
  const footer = p.pages > 1 ? `\n-# Page ${p.page} of ${p.pages}` : "";
  return {
    content: `${cappedList(truncate(p.header, HEADER_MAX), p.lines, LIMITS.content - footer.length)}${footer}`,
    components: p.pages > 1 && p.pageId ? [pageButtons(p.pageId, p.page, p.pages)] : [],
  };
}

/** As many lines as fit in `max` characters after the header, then "…and N more" (where paging makes no sense: DMs, posts, status views). */
export function cappedList(header: string, lines: readonly string[], max: number = LIMITS.content, more = (n: number) => `…and ${n} more`): string {
  let out = truncate(header, Math.floor(max / 2));
  let shown = 0;
  for (const raw of lines) {
    // Room for the count line, sized for the larger count it could show.
    const tail = shown < lines.length - 1 ? `\n${more(lines.length - shown)}` : "";
    const line = truncate(raw, Math.max(max - out.length - 1 - tail.length, 0));
    // A line cut below a useful size is not worth showing; the count says it is there.
    if (line.length < Math.min(raw.length, 20) || out.length + 1 + line.length + tail.length > max) break;
    out += `${out ? "\n" : ""}${line}`;
    shown++;
  }
  if (shown < lines.length) out += `${out ? "\n" : ""}${more(lines.length - shown)}`;
  return truncate(out, max);
}

/** An embed field's value: cut to Discord's 1024 with an ellipsis (admin-configured text can be longer). */
export const fieldValue = (text: string): string => truncate(text || "\u200b", LIMITS.fieldValue);
