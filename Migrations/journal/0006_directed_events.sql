-- Directed sends: an event sent to one step (`context.send(event, to: "step")`) names it in `target`, and
-- only that step receives it. NULL for every other event (broadcast to every subscriber).

ALTER TABLE event ADD COLUMN target TEXT;

DROP VIEW IF EXISTS events;

CREATE VIEW events AS
SELECT event.run_id,
       event.seq,
       event.name,
       event.payload,
       event.execution_id,
       started.step,
       event.target,
       event.at
FROM event
LEFT JOIN journal AS started
       ON started.run_id = event.run_id AND started.execution_id = event.execution_id
      AND started.kind = 'execution_started' AND started.attempt = 1;
