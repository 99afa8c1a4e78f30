-- demo.sql: the demo tenants of `make run` and of the tests.
--
-- Org acme: admin, agent, viewer and customer logins and 8 tickets; org
-- globex: one admin and 2 tickets; each has its web chat channel.  Every password is `demo-password`
-- (bcrypt, cost 10).  Loading it twice changes nothing: rows have fixed ids
-- and tickets are only created for an organization that has none.

SET client_min_messages = warning;

BEGIN;

INSERT INTO organizations (id, slug, name) VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'acme', 'Acme Corporation'),
    ('00000000-0000-4000-8000-0000000000b1', 'globex', 'Globex')
ON CONFLICT (id) DO NOTHING;

INSERT INTO users (id, org_id, email, name, role, password_hash) VALUES
    ('00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-0000000000a1',
     'admin@acme.test', 'Ada Admin', 'admin',
     '$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u'),
    ('00000000-0000-4000-8000-00000000a002', '00000000-0000-4000-8000-0000000000a1',
     'agent@acme.test', 'Alex Agent', 'agent',
     '$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u'),
    ('00000000-0000-4000-8000-00000000a003', '00000000-0000-4000-8000-0000000000a1',
     'viewer@acme.test', 'Vic Viewer', 'viewer',
     '$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u'),
    ('00000000-0000-4000-8000-00000000a004', '00000000-0000-4000-8000-0000000000a1',
     'customer@acme.test', 'Casey Customer', 'customer',
     '$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u'),
    ('00000000-0000-4000-8000-00000000b001', '00000000-0000-4000-8000-0000000000b1',
     'admin@globex.test', 'Gale Globex', 'admin',
     '$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u')
ON CONFLICT (id) DO NOTHING;

-- Each organization's web chat (the channel of its customers' in-app
-- conversations).
INSERT INTO channels (id, org_id, platform, name, account_id) VALUES
    ('00000000-0000-4000-8000-0000000ce0a1', '00000000-0000-4000-8000-0000000000a1',
     'web', 'Web chat', 'acme'),
    ('00000000-0000-4000-8000-0000000ce0b1', '00000000-0000-4000-8000-0000000000b1',
     'web', 'Web chat', 'globex')
ON CONFLICT DO NOTHING;

INSERT INTO customers (id, org_id, user_id, name, email, phone) VALUES
    ('00000000-0000-4000-8000-00000000c001', '00000000-0000-4000-8000-0000000000a1',
     '00000000-0000-4000-8000-00000000a004', 'Casey Customer', 'customer@acme.test', '+15550100'),
    ('00000000-0000-4000-8000-00000000c002', '00000000-0000-4000-8000-0000000000a1',
     NULL, 'Jordan Walk-in', 'jordan@example.test', NULL),
    ('00000000-0000-4000-8000-00000000c101', '00000000-0000-4000-8000-0000000000b1',
     NULL, 'Hank Scorpio', 'hank@globex.test', NULL)
ON CONFLICT (id) DO NOTHING;

CREATE TEMPORARY TABLE demo_tickets (
    org_id uuid, title text, description text, status text, priority text,
    category text, product_area text, source text, tags text[],
    assignee_id uuid, creator_id uuid, customer_id uuid
) ON COMMIT DROP;

INSERT INTO demo_tickets VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'Cannot log in after password reset',
     'I reset my password this morning and the login page still says the password is wrong.',
     'open', 'high', 'account', 'auth', 'web', '{login,password}',
     NULL, '00000000-0000-4000-8000-00000000a004', '00000000-0000-4000-8000-00000000c001'),
    ('00000000-0000-4000-8000-0000000000a1', 'Invoice shows the wrong VAT rate',
     'The March invoice applies 21% VAT although our account is registered for reverse charge.',
     'in_progress', 'medium', 'billing', 'invoices', 'email', '{billing,vat}',
     '00000000-0000-4000-8000-00000000a002', '00000000-0000-4000-8000-00000000a002',
     '00000000-0000-4000-8000-00000000c002'),
    ('00000000-0000-4000-8000-0000000000a1', 'Export to CSV times out',
     'Exporting more than 10000 rows from the reports page never finishes.',
     'open', 'medium', 'bug', 'reports', 'api', '{export,performance}',
     NULL, '00000000-0000-4000-8000-00000000a001', NULL),
    ('00000000-0000-4000-8000-0000000000a1', 'Mobile app crashes on startup',
     'Since the last update the Android app closes immediately after the splash screen.',
     'open', 'urgent', 'bug', 'mobile', 'chat', '{android,crash}',
     '00000000-0000-4000-8000-00000000a002', '00000000-0000-4000-8000-00000000a004',
     '00000000-0000-4000-8000-00000000c001'),
    ('00000000-0000-4000-8000-0000000000a1', 'Request for a dark theme',
     'Several of our agents would like a dark theme for the console.',
     'waiting', 'low', 'feature', 'console', 'web', '{ui}',
     NULL, '00000000-0000-4000-8000-00000000a002', NULL),
    ('00000000-0000-4000-8000-0000000000a1', 'Webhook deliveries delayed',
     'Webhook events arrive up to ten minutes late since Tuesday.',
     'resolved', 'high', 'bug', 'integrations', 'api', '{webhooks}',
     '00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000a001', NULL),
    ('00000000-0000-4000-8000-0000000000a1', 'Change the account owner',
     'Please move the account ownership from Jordan to Casey.',
     'closed', 'low', 'account', 'admin', 'call', '{}',
     '00000000-0000-4000-8000-00000000a002', '00000000-0000-4000-8000-00000000a002',
     '00000000-0000-4000-8000-00000000c002'),
    ('00000000-0000-4000-8000-0000000000a1', 'Search does not find archived tickets',
     'Full-text search ignores tickets that were archived last year.',
     'open', 'medium', 'bug', 'search', 'web', '{search}',
     NULL, '00000000-0000-4000-8000-00000000a003', NULL),
    ('00000000-0000-4000-8000-0000000000b1', 'Doomsday device warranty claim',
     'The device stopped working after the first use. Requesting a replacement.',
     'open', 'urgent', 'warranty', 'hardware', 'email', '{warranty}',
     NULL, '00000000-0000-4000-8000-00000000b001', '00000000-0000-4000-8000-00000000c101'),
    ('00000000-0000-4000-8000-0000000000b1', 'Update billing address',
     'Our billing address changed to 1 Cypress Creek.',
     'in_progress', 'low', 'billing', 'invoices', 'web', '{billing}',
     '00000000-0000-4000-8000-00000000b001', '00000000-0000-4000-8000-00000000b001', NULL);

WITH fresh AS (
    SELECT d.*, o.ticket_seq, row_number() OVER (PARTITION BY d.org_id) AS n
      FROM demo_tickets d JOIN organizations o ON o.id = d.org_id
     WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.org_id = d.org_id)
), ins AS (
    INSERT INTO tickets (org_id, number, title, description, status, priority,
                         category, product_area, source, tags, assignee_id,
                         creator_id, customer_id, closed_at,
                         created_at, updated_at, public_updated_at)
    SELECT org_id, nextval(ticket_seq::regclass), title, description, status,
           priority, category, product_area, source, tags, assignee_id,
           creator_id, customer_id,
           CASE WHEN status = 'closed' THEN now() END,
           now() - (n || ' hours')::interval, now() - (n || ' hours')::interval,
           now() - (n || ' hours')::interval
      FROM fresh ORDER BY org_id, n
    RETURNING *
), msg AS (
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content, created_at)
    SELECT i.org_id, i.id, i.creator_id,
           CASE WHEN u.role = 'customer' THEN 'customer' ELSE 'agent' END,
           i.description, i.created_at
      FROM ins i JOIN users u ON u.id = i.creator_id
)
INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload, created_at)
SELECT i.org_id, i.id, i.creator_id, 'TICKET_CREATED',
       jsonb_build_object('after', tk_ticket_json(i)), i.created_at
  FROM ins i;

-- FAQ articles of acme: three published, one draft (docs/faqs.md).
INSERT INTO faq_articles (org_id, author_id, title, body, category, tags,
                          status, published_at)
SELECT o.id, u.id, a.title, a.body, a.category, a.tags, a.status,
       CASE WHEN a.status = 'published' THEN now() END
  FROM organizations o
  JOIN users u ON u.email = 'agent@acme.test'
  CROSS JOIN (VALUES
    ('How do I reset my password?',
     E'Open the sign-in page and choose "Forgot password".\nA link valid for one hour is sent to your email address.',
     'Account', ARRAY['password', 'login'], 'published'),
    ('Where can I download my invoices?',
     E'Invoices are under Billing > Invoices, one PDF per month.',
     'Billing', ARRAY['invoice'], 'published'),
    ('Why was my card declined?',
     E'Check the expiry date and the billing address; then try again or use another card.',
     'Billing', ARRAY['payment', 'card'], 'published'),
    ('Exporting reports to CSV (draft)',
     E'Reports > Export. Still being written.',
     'Reports', ARRAY['export'], 'draft')
  ) AS a(title, body, category, tags, status)
 WHERE o.slug = 'acme'
   AND NOT EXISTS (SELECT 1 FROM faq_articles f WHERE f.org_id = o.id);

COMMIT;
