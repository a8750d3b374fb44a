// <crontab>
//   time: */15 9-17 * * mon-fri
//   params: --label "100% done" --quiet
// </crontab>
