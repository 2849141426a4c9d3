package ctnetlink

// StatsMessages makes the requests of Conn.Stats and calls each with every
// message of their replies, for the live test to keep them as fuzz seeds.
func (c *Conn) StatsMessages(each func(msg []byte) error) error { return c.statsMessages(each) }
