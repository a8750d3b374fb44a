// <crontab>
//   time: @hourly
// <crontab>
//   time: @daily
// </crontab>
