/* model.js: the API's vocabularies as the pages offer them.  These mirror
 * mod_tickets/lib/core/tk_status.c (and docs/openapi.json's enums); the
 * server checks every value again, so a stale list here can only offer a
 * choice the server refuses with its own message. */
export const STATUSES = ['open', 'in_progress', 'waiting', 'resolved', 'closed'];
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'];
export const SOURCES = ['web', 'api', 'call', 'chat', 'email', 'facebook', 'zalo', 'tiktok', 'discord'];
export const ROLES = ['admin', 'agent', 'viewer', 'customer'];
export const PLATFORMS = ['facebook', 'zalo', 'tiktok', 'discord'];
export const CONVERSATION_STATUSES = ['open', 'pending', 'resolved', 'closed'];
export const TICKET_SORTS = [
  ['-createdAt', 'newest first'], ['createdAt', 'oldest first'],
  ['-updatedAt', 'recently updated'], ['updatedAt', 'least recently updated'],
  ['-number', 'number, high to low'], ['number', 'number, low to high'],
  ['-priority', 'priority, urgent first'], ['priority', 'priority, low first'],
];

/* The status moves the server allows (tk_status.c's table). */
export const MOVES = {
  open: ['in_progress', 'waiting', 'resolved', 'closed'],
  in_progress: ['open', 'waiting', 'resolved', 'closed'],
  waiting: ['in_progress', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: ['open'],
};

export const canWrite = (me) => me.role === 'admin' || me.role === 'agent';

/* "a, b ,c" -> ["a", "b", "c"] */
export const splitList = (s) => s.split(',').map((t) => t.trim()).filter(Boolean);
