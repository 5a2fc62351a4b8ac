-- A booking never moves to another centre. Booking codes are drawn under
-- one centre's lock and checked against the store; two instances drawing
-- the same code for two centres at the same instant (40 bits: about once
-- in 10^12 pairs) would otherwise have the second commit's upsert replace
-- the first centre's booking. The commit fails instead (a conflict: the
-- engine reloads and the request is refused, to be tried again with
-- another code).
CREATE FUNCTION refuse_booking_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'booking code % belongs to centre %', OLD.code, OLD.centre USING ERRCODE = 'XH409';
END
$$;
CREATE TRIGGER bookings_stay BEFORE UPDATE ON bookings FOR EACH ROW
	WHEN (OLD.centre IS DISTINCT FROM NEW.centre) EXECUTE FUNCTION refuse_booking_move();
